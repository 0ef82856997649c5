using System.Net;
using OriginGateway.Egress;

namespace OriginGateway.Tests.Egress;

/// <summary>Every deny range and address spelling of 03-security.md §3.2. Nothing here opens a connection.</summary>
public sealed class EgressAddressClassifierTests
{
    private static readonly EgressAddressClassifier Default = new([], []);

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("0.255.255.255")]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("100.64.0.1")]
    [InlineData("100.100.100.200")]
    [InlineData("100.127.255.255")]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("169.254.169.254")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.0.0.8")]
    [InlineData("192.0.2.1")]
    [InlineData("192.88.99.1")]
    [InlineData("192.168.1.1")]
    [InlineData("198.18.0.1")]
    [InlineData("198.19.255.255")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.9")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.255")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("::10.0.0.1")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("64:ff9b:1::1")]
    [InlineData("100::1")]
    [InlineData("2001::1")]
    [InlineData("2001:db8::1")]
    [InlineData("2002:c000:0204::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("fec0::1")]
    [InlineData("ff02::1")]
    public void IsDenied_DenyRanges(string address)
    {
        Assert.True(Default.IsDenied(IPAddress.Parse(address)), address);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.169.0.1")]
    [InlineData("198.20.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001::1")]
    public void IsDenied_PublicAddresses_AreAllowed(string address)
    {
        Assert.False(Default.IsDenied(IPAddress.Parse(address)), address);
    }

    [Theory]
    [InlineData("2130706433")]   // decimal
    [InlineData("0x7f.1")]       // hex
    [InlineData("0177.0.0.1")]   // octal
    [InlineData("127.1")]        // short form
    [InlineData("0x7f000001")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("[::ffff:7f00:1]")]
    public void Spellings_OfLoopback_ParseToADeniedAddress(string spelling)
    {
        Assert.True(IPAddress.TryParse(spelling.Trim('[', ']'), out var address), spelling);
        Assert.True(Default.IsDenied(address), $"{spelling} → {address}");
    }

    [Fact]
    public void AllowedNetworks_LetThroughDespiteTheDenyList_AndOnlyThem()
    {
        var classifier = new EgressAddressClassifier(["127.0.0.1/32"], []);

        Assert.False(classifier.IsDenied(IPAddress.Parse("127.0.0.1")));
        Assert.False(classifier.IsDenied(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.True(classifier.IsDenied(IPAddress.Parse("127.0.0.2")));
        Assert.True(classifier.IsDenied(IPAddress.Parse("::1")));
        Assert.True(classifier.IsExplicitlyAllowed(IPAddress.Parse("127.0.0.1")));
        Assert.False(classifier.IsExplicitlyAllowed(IPAddress.Parse("8.8.8.8")));
    }

    [Fact]
    public void DeniedNetworks_AddToTheDenyList()
    {
        var classifier = new EgressAddressClassifier([], ["8.8.8.0/24"]);

        Assert.True(classifier.IsDenied(IPAddress.Parse("8.8.8.8")));
        Assert.False(classifier.IsDenied(IPAddress.Parse("8.8.4.4")));
    }

    [Theory]
    [InlineData("127.0.0.0/8", true)]
    [InlineData("::1/128", true)]
    [InlineData("127.0.0.0/33", false)]
    [InlineData("not-a-network", false)]
    public void CheckNetwork_ValidatesCidrs(string cidr, bool valid)
    {
        Assert.Equal(valid, EgressAddressClassifier.CheckNetwork(cidr) is null);
    }
}
