using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OriginGateway.Rules;

namespace OriginGateway.Tests.Rules;

public sealed class OriginRequestPlanTests
{
    private static CompiledRule Rule(string type = "Mirror", string prefix = "", string parameter = "", string fileInfo = "", string hosts = "<HostInfo><HostName>origin.example.com</HostName></HostInfo>")
    {
        var xml = $"<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>{type}</OriginType>"
            + $"<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>{prefix}</Prefix></OriginCondition>{parameter}"
            + $"<OriginInfo>{hosts}{fileInfo}</OriginInfo></OriginRule></OriginConfiguration>";
        var result = OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes(xml));
        Assert.True(result.IsValid, result.Message);
        return new CompiledRuleSet(result.Configuration).Rules[0];
    }

    private static OriginRequestPlan Plan(CompiledRule rule, string key, string? query = null, IHeaderDictionary? headers = null, string scheme = "http") =>
        OriginRequestPlan.Build(rule, key, scheme, query, headers ?? new HeaderDictionary());

    [Fact]
    public void Path_PrefixReplaced_AndSuffixAppended()
    {
        var rule = Rule(prefix: "img/", fileInfo: "<FileInfo><PrefixConfiguration><Prefix>static/images/</Prefix></PrefixConfiguration><SuffixConfiguration><Suffix>.jpg</Suffix></SuffixConfiguration></FileInfo>");

        Assert.Equal("http://origin.example.com/static/images/cat.jpg", Plan(rule, "img/cat").UrlFor("origin.example.com").AbsoluteUri);
    }

    [Theory]
    [InlineData("http", "origin.example.com", "a/../b c/%2F/腾.txt", null)]
    [InlineData("https", "Origin.Example.COM:443", "x?y#z", "v=1&w=a%20b")]
    [InlineData("http", "127.0.0.1:8080", "./.././~a", "q=%E8%85%BE")]
    [InlineData("http", "[0:0::1]:80", "k", null)]
    [InlineData("https", "xn--fiq228c.example", "k//l/", null)]
    public void LocationFor_IsTheUrlsAbsoluteUri_AndTheTargetIsTheFullPlansTarget(string scheme, string host, string key, string? query)
    {
        var rule = Rule();
        var full = Plan(rule, key, query, scheme: scheme);
        var target = OriginRequestPlan.Target(rule, key, scheme, query);

        Assert.Equal((full.Scheme, full.PathAndQuery), (target.Scheme, target.PathAndQuery));
        Assert.Empty(target.Headers);
        Assert.Equal(full.UrlFor(host).AbsoluteUri, target.LocationFor(host));
        Assert.Equal(full.UrlFor(host).AbsoluteUri, target.LocationFor(host));
        Assert.Equal(full.UrlFor(host).GetLeftPart(UriPartial.Authority), full.AuthorityFor(host));
    }

    [Theory]
    [InlineData("a/b-c_d.e~f/g.bin")]
    [InlineData("a//b/")]
    [InlineData("")]
    public void APathOfUnreservedCharacters_IsSentAsItIs(string key)
    {
        var plan = Plan(Rule(), key);
        Assert.Equal("/" + key, plan.PathAndQuery);
        Assert.Equal("/" + key, plan.UrlFor("origin.example.com").AbsolutePath);
    }

    [Fact]
    public void Path_NewPrefixPrepended_WhenTheConditionPrefixIsEmpty()
    {
        var rule = Rule(fileInfo: "<FileInfo><PrefixConfiguration><Prefix>mirror/</Prefix></PrefixConfiguration></FileInfo>");

        Assert.Equal("/mirror/a/b.txt", Plan(rule, "a/b.txt").PathAndQuery);
    }

    [Fact]
    public void Path_FixedFilePath_IgnoresTheKey()
    {
        var rule = Rule(fileInfo: "<FileInfo><FixedFileConfiguration><FixedFilePath>/index.html</FixedFilePath></FixedFileConfiguration></FileInfo>");

        Assert.Equal("/index.html", Plan(rule, "any/key").PathAndQuery);
    }

    [Fact]
    public void Path_IsPercentEncoded_KeepingSlashes()
    {
        Assert.Equal("/dir/a%20b%2Bc/%E8%85%BE.txt", Plan(Rule(), "dir/a b+c/腾.txt").PathAndQuery);
    }

    [Fact]
    public void Query_FollowedWithoutPresignParameters()
    {
        var plan = Plan(Rule(), "k", "v=1&q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1%3B2&q-key-time=1%3B2&q-header-list=host&q-url-param-list=&q-signature=ab&x-cos-security-token=t&w=a%20b");

        Assert.Equal("/k?v=1&w=a%20b", plan.PathAndQuery);
    }

    /// <summary>A part GET's number is the gateway's: a miss asks the origin for the object.</summary>
    [Fact]
    public void Query_FollowedWithoutAPartNumber()
    {
        Assert.Equal("/k?x-id=GetObject&partNumberish=4", Plan(Rule(), "k", "partNumber=1&x-id=GetObject&partNumberish=4").PathAndQuery);
        Assert.Equal("/k", Plan(Rule(), "k", "partNumber=2").PathAndQuery);
    }

    [Fact]
    public void Query_NotFollowed_WhenFollowQueryStringIsFalse()
    {
        var plan = Plan(Rule(parameter: "<OriginParameter><FollowQueryString>false</FollowQueryString></OriginParameter>"), "k", "v=1");

        Assert.Equal("/k", plan.PathAndQuery);
    }

    [Theory]
    [InlineData("", "https", "https")]
    [InlineData("<OriginParameter><Protocol>FOLLOW</Protocol></OriginParameter>", "https", "https")]
    [InlineData("<OriginParameter><Protocol>HTTP</Protocol></OriginParameter>", "https", "http")]
    [InlineData("<OriginParameter><Protocol>HTTPS</Protocol></OriginParameter>", "http", "https")]
    public void Scheme_FollowsProtocol(string parameter, string clientScheme, string expected)
    {
        Assert.Equal(expected, Plan(Rule(parameter: parameter), "k", scheme: clientScheme).Scheme);
    }

    private static IHeaderDictionary ClientHeaders() => new HeaderDictionary
    {
        ["Host"] = "gateway",
        ["Authorization"] = "q-sign-algorithm=sha1&…",
        ["Cookie"] = "session=1",
        ["Range"] = "bytes=0-1",
        ["Connection"] = "keep-alive, X-Hop",
        ["X-Hop"] = "1",
        ["Keep-Alive"] = "timeout=5",
        ["x-cos-meta-a"] = "b",
        ["Referer"] = "https://site/",
        ["User-Agent"] = "curl",
        ["Accept"] = "*/*",
    };

    [Fact]
    public void Headers_NoneFollowedByDefault()
    {
        var plan = Plan(Rule(), "k", headers: ClientHeaders());

        Assert.Equal(["Via"], plan.Headers.Select(h => h.Key));
        Assert.Contains("Referer", plan.Dropped);
    }

    [Fact]
    public void Headers_FollowAll_ExceptTheGatewaysOwnAndHopByHop()
    {
        var plan = Plan(Rule(parameter: "<OriginParameter><HttpHeader><FollowAllHeaders>true</FollowAllHeaders><ForbidFollowHeaders><Header><Key>user-agent</Key></Header></ForbidFollowHeaders></HttpHeader></OriginParameter>"),
            "k", headers: ClientHeaders());

        Assert.Equal(["Accept", "Referer", "Via"], plan.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
        Assert.Contains("User-Agent", plan.Dropped);
        Assert.Contains("Cookie", plan.Dropped);
        Assert.Contains("X-Hop", plan.Dropped);
    }

    [Fact]
    public void Headers_FollowListed_CookieWhenListed_NeverAuthorizationOrCos()
    {
        var plan = Plan(Rule(parameter: "<OriginParameter><HttpHeader><FollowHttpHeaders><Header><Key>Cookie</Key></Header><Header><Key>Referer</Key></Header><Header><Key>Authorization</Key></Header><Header><Key>x-cos-meta-a</Key></Header><Header><Key>Range</Key></Header></FollowHttpHeaders></HttpHeader></OriginParameter>"),
            "k", headers: ClientHeaders());

        Assert.Equal(["Cookie", "Referer", "Via"], plan.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Headers_NewHeadersSentLiterally_EmptyValueNotAdded()
    {
        var plan = Plan(Rule(parameter: "<OriginParameter><HttpHeader><NewHttpHeaders><Header><Key>x-cos-ContentType</Key><Value>csv</Value></Header><Header><Key>x-empty</Key><Value></Value></Header></NewHttpHeaders></HttpHeader></OriginParameter>"), "k");

        Assert.Contains(new KeyValuePair<string, string>("x-cos-ContentType", "csv"), plan.Headers);
        Assert.DoesNotContain(plan.Headers, h => h.Key == "x-empty");
    }

    [Fact]
    public void Via_AppendsTheGatewayToken_AfterTheClientsOwn()
    {
        var plan = Plan(Rule(), "k", headers: new HeaderDictionary { ["Via"] = "1.1 origin-gateway, 1.1 cdn" });

        Assert.Equal("1.1 origin-gateway, 1.1 cdn, 1.1 origin-gateway", plan.Headers.Single(h => h.Key == "Via").Value);
        Assert.Equal(2, OriginRequestPlan.ViaHops(new HeaderDictionary { ["Via"] = plan.Headers.Single(h => h.Key == "Via").Value }));
        Assert.Equal(0, OriginRequestPlan.ViaHops(new HeaderDictionary()));
    }

    [Fact]
    public void Explain_DescribesTheRequestWithoutContactingTheOrigin()
    {
        var set = new CompiledRuleSet(OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes("""
            <OriginConfiguration><OriginRule><RulePriority>5</RulePriority><OriginType>Mirror</OriginType>
            <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>img/</Prefix></OriginCondition>
            <OriginParameter><HttpHeader><FollowHttpHeaders><Header><Key>Referer</Key></Header></FollowHttpHeaders></HttpHeader></OriginParameter>
            <OriginInfo><HostInfo><HostName>a.example.com</HostName><Weight>3</Weight><StandbyHostName_1>b.example.com</StandbyHostName_1></HostInfo>
            <HostInfo><HostName>c.example.com:8080</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>
            """)).Configuration);

        using var hit = JsonDocument.Parse(OriginExplanation.Explain(set, "img/cat.png", "https", "v=2", new HeaderDictionary { ["Referer"] = "r", ["Cookie"] = "c" }));
        var root = hit.RootElement;
        Assert.Equal(5, root.GetProperty("rule").GetInt32());
        Assert.Equal("mirror", root.GetProperty("action").GetString());
        Assert.Equal("https://a.example.com/img/cat.png?v=2", root.GetProperty("url").GetString());
        Assert.Equal(["a.example.com", "b.example.com", "c.example.com:8080"], root.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
        Assert.Equal("r", root.GetProperty("headers").GetProperty("sent").GetProperty("Referer").GetString());
        Assert.Equal(["Cookie"], root.GetProperty("headers").GetProperty("dropped").EnumerateArray().Select(h => h.GetString()));
        Assert.True(root.GetProperty("stores").GetBoolean());

        using var miss = JsonDocument.Parse(OriginExplanation.Explain(set, "doc/a", "http", null, new HeaderDictionary()));
        Assert.Equal(JsonValueKind.Null, miss.RootElement.GetProperty("rule").ValueKind);
        Assert.Equal("miss", miss.RootElement.GetProperty("action").GetString());
    }
}
