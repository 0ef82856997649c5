using System.Text;
using Microsoft.Extensions.Configuration;
using OriginGateway.Hosting;

namespace OriginGateway.Tests.Hosting;

public class GatewayOptionsBindingTests
{
    private static IConfiguration Configuration(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    private static GatewayOptions Bind(string json) => Configuration(json).Get<GatewayOptions>() ?? new GatewayOptions();

    /// <summary>The Egress section as its feature binds it.</summary>
    private static OriginGateway.Egress.EgressOptions Egress(string json) => Configuration(json).GetSection("Egress").Get<OriginGateway.Egress.EgressOptions>() ?? new();

    [Fact]
    public void AllowedPorts_DefaultIs80And443()
    {
        Assert.Equal([80, 443], Egress("{}").EffectiveAllowedPorts);
    }

    [Fact]
    public void AllowedPorts_ConfiguredListReplacesTheDefault()
    {
        Assert.Equal([8443], Egress("""{"Egress":{"AllowedPorts":["8443"]}}""").EffectiveAllowedPorts);
    }

    [Fact]
    public void AllowedPorts_Star_MeansAnyPort()
    {
        Assert.Empty(Egress("""{"Egress":{"AllowedPorts":["*"]}}""").EffectiveAllowedPorts);
    }

    [Fact]
    public void AllowedPorts_EmptyJsonList_IsTheDefault_BecauseConfigurationCannotTellItFromNoSetting()
    {
        Assert.Equal([80, 443], Egress("""{"Egress":{"AllowedPorts":[]}}""").EffectiveAllowedPorts);
    }

    [Fact]
    public void Paths_AUserGives_AreRelativeToTheWorkingDirectory_TheDefaultRuleFileToTheApplication()
    {
        var options = Bind("""{"DataDirectory":"some/data","Buckets":[{"Name":"given-1250000000","OriginFile":"rules/mine.xml"},{"Name":"default-1250000000"}]}""");
        var cwd = Directory.GetCurrentDirectory();

        Assert.Equal(Path.Combine(cwd, "some", "data"), options.DataDirectoryFullPath);
        Assert.Equal(Path.Combine(cwd, "rules", "mine.xml"), GatewayOptions.OriginFilePath(options.Buckets.Single(b => b.Name == "given-1250000000")));
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "config", "origin", "default-1250000000.xml"), GatewayOptions.OriginFilePath(options.Buckets.Single(b => b.Name == "default-1250000000")));
        Assert.Equal("/abs/rules.xml", GatewayOptions.OriginFilePath(new OriginGateway.Buckets.BucketOptions { Name = "a-1", OriginFile = "/abs/rules.xml" }));
    }
}
