using OriginGateway.Callbacks;
using OriginGateway.Tasks;

namespace OriginGateway.Tests.Tasks;

public class TaskUrlTests
{
    [Theory]
    [InlineData("examplebucket-1250000000.ap-beijing.myqcloud.com/doc", true, "http://examplebucket-1250000000.ap-beijing.myqcloud.com/doc")]
    [InlineData("https://example.com/a%20b?x=1", false, "https://example.com/a%20b?x=1")]
    [InlineData("http://example.com/a b/é", false, "http://example.com/a%20b/%C3%A9")]
    [InlineData("http://example.com/a/../b#frag", false, "http://example.com/a/../b")]
    public void Parse_KeepsTheClientsEncoding(string text, bool schemeOptional, string expected)
    {
        var url = TaskUrl.Parse(text, schemeOptional, out var error);
        Assert.True(url is not null, error);
        Assert.Equal(expected, url!.OriginalString);
        Assert.Equal(expected[expected.IndexOf('/', 8)..], url.PathAndQuery);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("ftp://example.com/a", true)]
    [InlineData("example.com/a", false)]
    [InlineData("http://user:pw@example.com/a", true)]
    [InlineData("http:///a", true)]
    public void Parse_Refuses(string text, bool schemeOptional)
    {
        Assert.Null(TaskUrl.Parse(text, schemeOptional, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Parse_RefusesOver8KiB()
    {
        Assert.Null(TaskUrl.Parse("http://example.com/" + new string('a', TaskUrl.MaxLength), false, out _));
    }

    [Fact]
    public void CallbackSignature_VerifiesOnlyTheSameBodySecretAndAFreshTime()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var body = "{\"event\":\"fetch.succeeded\"}"u8.ToArray();
        var header = CallbackSignature.Create("s3cret", now.ToUnixTimeSeconds(), body);

        Assert.Matches("^t=1800000000,v1=[0-9a-f]{64}$", header);
        Assert.True(CallbackSignature.Verify("s3cret", header, body, now.AddSeconds(30), TimeSpan.FromMinutes(5)));
        Assert.False(CallbackSignature.Verify("other", header, body, now, TimeSpan.FromMinutes(5)));
        Assert.False(CallbackSignature.Verify("s3cret", header, "{\"event\":\"fetch.failed\"}"u8, now, TimeSpan.FromMinutes(5)));
        Assert.False(CallbackSignature.Verify("s3cret", header, body, now.AddMinutes(10), TimeSpan.FromMinutes(5)));
    }
}
