using System.Text;
using System.Xml.Linq;
using OriginGateway.Rules;

namespace OriginGateway.Tests.Rules;

public sealed class OriginConfigurationXmlTests
{
    private static OriginConfigurationParseResult Parse(string xml) => OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes(xml));

    /// <summary>One rule with the given inner elements replacing the defaults named.</summary>
    private static string Rule(string type = "Mirror", string priority = "<RulePriority>1</RulePriority>", string condition = "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>",
        string parameter = "", string info = "<OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo></OriginInfo>", string extra = "") =>
        $"<OriginRule>{priority}<OriginType>{type}</OriginType>{condition}{parameter}{extra}{info}</OriginRule>";

    private static string Document(params string[] rules) => "<OriginConfiguration>" + string.Concat(rules) + "</OriginConfiguration>";

    [Fact]
    public void Parse_SeedExampleWithPriority_RoundTripsToAnEquivalentDocument()
    {
        var parsed = Parse(OriginSeed.Example);
        Assert.True(parsed.IsValid, parsed.Message);

        var written = OriginConfigurationXml.Write(parsed.Configuration!);

        Assert.Equal(OriginSeed.Canonical(OriginSeed.Example), OriginSeed.Canonical(written));
        Assert.True(Parse(written).IsValid);
    }

    [Fact]
    public void Write_NeverAddsDefaultsTheClientDidNotSend()
    {
        var parsed = Parse(Document(Rule()));

        var written = OriginConfigurationXml.Write(parsed.Configuration!);

        Assert.DoesNotContain("Protocol", written, StringComparison.Ordinal);
        Assert.DoesNotContain("Weight", written, StringComparison.Ordinal);
        Assert.DoesNotContain("FollowQueryString", written, StringComparison.Ordinal);
        Assert.DoesNotContain("FileInfo", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FullTemplate_KeepsEveryField()
    {
        var xml = Document(Rule(
            type: "Mirror",
            priority: "<RulePriority>7</RulePriority>",
            condition: "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>img/</Prefix></OriginCondition>",
            parameter: """
                <OriginParameter><Protocol>HTTPS</Protocol><TransparentErrorCode>true</TransparentErrorCode><FollowQueryString>false</FollowQueryString>
                <HttpHeader><FollowAllHeaders>false</FollowAllHeaders>
                <NewHttpHeaders><Header><Key>x-added</Key><Value>v</Value></Header></NewHttpHeaders>
                <FollowHttpHeaders><Header><Key>Referer</Key></Header></FollowHttpHeaders>
                <ForbidFollowHeaders><Header><Key>User-Agent</Key></Header></ForbidFollowHeaders></HttpHeader>
                <FollowRedirection>false</FollowRedirection></OriginParameter>
                """,
            extra: "<HTTPStandbyCode><StatusCode>404</StatusCode><StatusCode>403</StatusCode></HTTPStandbyCode>",
            info: """
                <OriginInfo>
                <HostInfo><HostName>a.example.com</HostName><Weight>4</Weight><StandbyHostName_1>b.example.com:8080</StandbyHostName_1><StandbyHostName_2>10.0.0.1</StandbyHostName_2></HostInfo>
                <HostInfo><HostName>[2001:db8::1]:9000</HostName><Weight>2</Weight></HostInfo>
                <FileInfo><PrefixConfiguration><Prefix>static/images/</Prefix></PrefixConfiguration><SuffixConfiguration><Suffix>.jpg</Suffix></SuffixConfiguration></FileInfo>
                </OriginInfo>
                """));

        var parsed = Parse(xml);

        Assert.True(parsed.IsValid, parsed.Message);
        var rule = Assert.Single(parsed.Configuration!.Rules);
        Assert.Equal(7, rule.Priority);
        Assert.Equal(OriginType.Mirror, rule.Type);
        Assert.Equal("img/", rule.Condition!.Prefix);
        Assert.Equal("HTTPS", rule.Parameter!.Protocol);
        Assert.True(rule.Parameter.TransparentErrorCode);
        Assert.False(rule.Parameter.FollowQueryString);
        Assert.False(rule.Parameter.FollowRedirection);
        Assert.Equal([new KeyValuePair<string, string>("x-added", "v")], rule.Parameter.HttpHeader!.NewHttpHeaders!);
        Assert.Equal(["Referer"], rule.Parameter.HttpHeader.FollowHttpHeaders!);
        Assert.Equal(["User-Agent"], rule.Parameter.HttpHeader.ForbidFollowHeaders!);
        Assert.Equal([404, 403], rule.StandbyStatusCodes!);
        Assert.Equal(2, rule.Info.Hosts.Count);
        Assert.Equal(["b.example.com:8080", "10.0.0.1"], rule.Info.Hosts[0].StandbyHostNames);
        Assert.Equal(4, rule.Info.Hosts[0].Weight);
        Assert.Equal("static/images/", rule.Info.FileInfo!.Prefix);
        Assert.Equal(".jpg", rule.Info.FileInfo.Suffix);

        Assert.Equal(OriginSeed.Canonical(xml), OriginSeed.Canonical(OriginConfigurationXml.Write(parsed.Configuration)));
    }

    public static TheoryData<string, string> InvalidRules() => new()
    {
        { Rule(priority: ""), "RulePriority is required" },
        { Rule(priority: "<RulePriority>first</RulePriority>"), "is not an integer" },
        { Rule(type: "Cache"), "is not one of Proxy, Mirror, Redirect" },
        { Rule(type: "Mirror", condition: "<OriginCondition><HTTPStatusCode>403</HTTPStatusCode></OriginCondition>"), "fire on 404 only" },
        { Rule(type: "Proxy", condition: "<OriginCondition><HTTPStatusCode>4XX</HTTPStatusCode></OriginCondition>"), "fire on 404 only" },
        { Rule(type: "Redirect", condition: "<OriginCondition><HTTPStatusCode>302</HTTPStatusCode></OriginCondition>"), "4xx or 5xx" },
        { Rule(type: "Redirect", condition: "<OriginCondition><HTTPStatusCode>6XX</HTTPStatusCode></OriginCondition>"), "4xx or 5xx" },
        { Rule(type: "Proxy", info: "<OriginInfo><HostInfo><HostName>a.com</HostName></HostInfo><HostInfo><HostName>b.com</HostName></HostInfo></OriginInfo>"), "take one HostInfo" },
        { Rule(type: "Redirect", condition: "", info: "<OriginInfo><HostInfo><HostName>a.com</HostName></HostInfo><HostInfo><HostName>b.com</HostName></HostInfo></OriginInfo>"), "take one HostInfo" },
        { Rule(info: "<OriginInfo>" + string.Concat(Enumerable.Range(0, 11).Select(i => $"<HostInfo><HostName>h{i}.com</HostName></HostInfo>")) + "</OriginInfo>"), "at most 10" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com</HostName><Weight>0</Weight></HostInfo></OriginInfo>"), "not a positive integer" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com</HostName><Weight>2.5</Weight></HostInfo></OriginInfo>"), "not a positive integer" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com</HostName><StandbyHostName_11>b.com</StandbyHostName_11></HostInfo></OriginInfo>"), "numbered StandbyHostName_1 to StandbyHostName_10" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com</HostName><StandbyHostName_0>b.com</StandbyHostName_0></HostInfo></OriginInfo>"), "numbered StandbyHostName_1 to StandbyHostName_10" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com</HostName><StandbyHostName_1>b.com</StandbyHostName_1><StandbyHostName_3>c.com</StandbyHostName_3></HostInfo></OriginInfo>"), "StandbyHostName_2 is missing" },
        { Rule(type: "Redirect", condition: "", parameter: "<OriginParameter><HttpRedirectCode>303</HttpRedirectCode></OriginParameter>"), "not one of 301, 302, 307" },
        { Rule(type: "Mirror", parameter: "<OriginParameter><HttpRedirectCode>304</HttpRedirectCode></OriginParameter>"), "not a redirect a Mirror rule can follow" },
        { Rule(type: "Redirect", condition: "", parameter: "<OriginParameter><HttpRedirectCode>301</HttpRedirectCode><HttpRedirectCode>302</HttpRedirectCode></OriginParameter>"), "answers one code" },
        { Rule(parameter: "<OriginParameter><HttpHeader><NewHttpHeaders>" + string.Concat(Enumerable.Range(0, 11).Select(i => $"<Header><Key>x-h{i}</Key><Value>v</Value></Header>")) + "</NewHttpHeaders></HttpHeader></OriginParameter>"), "at most 10 are allowed" },
        { Rule(parameter: "<OriginParameter><HttpHeader><NewHttpHeaders><Header><Key>bad header</Key><Value>v</Value></Header></NewHttpHeaders></HttpHeader></OriginParameter>"), "not a valid HTTP header name" },
        { Rule(parameter: "<OriginParameter><HttpHeader><FollowHttpHeaders><Header><Key>a:b</Key></Header></FollowHttpHeaders></HttpHeader></OriginParameter>"), "not a valid HTTP header name" },
        { Rule(parameter: "<OriginParameter><HttpHeader><NewHttpHeaders><Header><Key>x-a</Key><Value>a&#13;&#10;Evil: 1</Value></Header></NewHttpHeaders></HttpHeader></OriginParameter>"), "contains CR, LF or NUL" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com</HostName></HostInfo><FileInfo><FixedFileConfiguration><FixedFilePath>/index.html</FixedFilePath></FixedFileConfiguration><PrefixConfiguration><Prefix>p/</Prefix></PrefixConfiguration></FileInfo></OriginInfo>"), "FixedFilePath cannot be combined" },
        { Rule(type: "Mirror", parameter: "<OriginParameter><CopyOriginData>false</CopyOriginData></OriginParameter>"), "Proxy rules only" },
        { Rule(info: "<OriginInfo><HostInfo><HostName></HostName></HostInfo></OriginInfo>"), "empty" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com/path</HostName></HostInfo></OriginInfo>"), "without a path" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>user@a.com</HostName></HostInfo></OriginInfo>"), "user information" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>http://a.com</HostName></HostInfo></OriginInfo>"), "without a scheme" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a.com:99999</HostName></HostInfo></OriginInfo>"), "invalid port" },
        { Rule(info: "<OriginInfo><HostInfo><HostName>a b.com</HostName></HostInfo></OriginInfo>"), "not a valid host name" },
        { Rule(info: ""), "OriginInfo is required" },
        { Rule(parameter: "<OriginParameter><Protocol>FTP</Protocol></OriginParameter>"), "not one of HTTP, HTTPS, FOLLOW" },
        { Rule(parameter: "<OriginParameter><FollowQueryString>yes</FollowQueryString></OriginParameter>"), "is not true or false" },
        { Rule(extra: "<Unknown>1</Unknown>"), "unknown element <Unknown>" },
        { Rule(extra: "<HTTPStandbyCode><StatusCode>abc</StatusCode></HTTPStandbyCode>"), "not an HTTP status code" },
    };

    [Theory]
    [MemberData(nameof(InvalidRules))]
    public void Parse_InvalidRule_IsInvalidArgumentNamingTheProblem(string rule, string expected)
    {
        var result = Parse(Document(rule));

        Assert.False(result.IsValid);
        Assert.Equal("InvalidArgument", result.ErrorCode);
        Assert.Contains(result.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_DuplicatePriority_IsRefused()
    {
        var result = Parse(Document(Rule(), Rule()));

        Assert.Contains(result.Errors, e => e.Contains("used by more than one rule", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ReportsEveryErrorAtOnce()
    {
        var result = Parse(Document(
            Rule(type: "Cache"),
            Rule(priority: "<RulePriority>2</RulePriority>", parameter: "<OriginParameter><HttpRedirectCode>305</HttpRedirectCode></OriginParameter>"),
            Rule(priority: "<RulePriority>3</RulePriority>", info: "<OriginInfo><HostInfo><HostName>x/y</HostName><Weight>-1</Weight></HostInfo></OriginInfo>")));

        Assert.Equal("InvalidArgument", result.ErrorCode);
        Assert.True(result.Errors.Count >= 4, string.Join("\n", result.Errors));
        Assert.Contains(result.Errors, e => e.StartsWith("OriginRule[1]", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("OriginRule[2]", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("OriginRule[3]/OriginInfo/HostInfo[1]/HostName", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("OriginRule[3]/OriginInfo/HostInfo[1]/Weight", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("<OriginConfiguration><OriginRule>")]
    [InlineData("not xml at all")]
    [InlineData("")]
    [InlineData("<OriginConfiguration></Other>")]
    public void Parse_BrokenXml_IsMalformedXml(string xml)
    {
        var result = Parse(xml);

        Assert.False(result.IsValid);
        Assert.Equal("MalformedXML", result.ErrorCode);
    }

    [Fact]
    public void Parse_WrongRoot_IsInvalidArgument()
    {
        Assert.Equal("InvalidArgument", Parse("<CORSConfiguration/>").ErrorCode);
    }

    [Theory]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><OriginConfiguration>&lol2;</OriginConfiguration>""")]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><OriginConfiguration>&xxe;</OriginConfiguration>""")]
    [InlineData("""<!DOCTYPE OriginConfiguration SYSTEM "http://127.0.0.2/evil.dtd"><OriginConfiguration/>""")]
    public void Parse_DtdOrEntity_IsRefused(string xml)
    {
        var result = Parse(xml);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Contains("DTD", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_OverSixtyFourKiB_IsRefused()
    {
        var rule = Rule();
        var xml = Document(rule) + new string(' ', (64 * 1024) - Document(rule).Length + 1);

        var result = Parse(xml);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Contains("larger than 65536 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MoreThanOneHundredRules_IsRefused()
    {
        var rules = Enumerable.Range(1, 101).Select(i => Rule(priority: $"<RulePriority>{i}</RulePriority>", info: "<OriginInfo><HostInfo><HostName>a.com</HostName></HostInfo></OriginInfo>", condition: "")).ToArray();

        var result = Parse(Document(rules));

        Assert.Contains(result.Errors, e => e.Contains("at most 100", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ExactlyOneHundredRules_IsAccepted()
    {
        var rules = Enumerable.Range(1, 100).Select(i => Rule(priority: $"<RulePriority>{i}</RulePriority>", info: "<OriginInfo><HostInfo><HostName>a.com</HostName></HostInfo></OriginInfo>", condition: "")).ToArray();

        Assert.True(Parse(Document(rules)).IsValid);
    }

    [Fact]
    public void Parse_EmptyPrefixAndSuffixConfigurations_MeanNone_WithFixedFilePath()
    {
        var result = Parse(Document(Rule(info: "<OriginInfo><HostInfo><HostName>a.com</HostName></HostInfo><FileInfo><FixedFileConfiguration><FixedFilePath>/index.html</FixedFilePath></FixedFileConfiguration><PrefixConfiguration><Prefix></Prefix></PrefixConfiguration><SuffixConfiguration><Suffix></Suffix></SuffixConfiguration></FileInfo></OriginInfo>")));

        Assert.True(result.IsValid, result.Message);
    }

    [Theory]
    [InlineData("404")]
    [InlineData("403")]
    [InlineData("4XX")]
    [InlineData("5XX")]
    [InlineData("503")]
    public void Parse_RedirectConditions_AreAccepted(string code)
    {
        var result = Parse(Document(Rule(type: "Redirect", condition: $"<OriginCondition><HTTPStatusCode>{code}</HTTPStatusCode></OriginCondition>",
            parameter: "<OriginParameter><HttpRedirectCode>301</HttpRedirectCode></OriginParameter>")));

        Assert.True(result.IsValid, result.Message);
    }

    /// <summary>The document cos-nodejs-sdk-v5's own test suite sends with putBucketOrigin.</summary>
    [Fact]
    public void Parse_TheOfficialSdksMirrorDocument_WithNewHttpHeaderAndRedirectCodes_IsAccepted()
    {
        var result = Parse("""
            <OriginConfiguration><OriginRule><OriginType>Mirror</OriginType>
            <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>
            <OriginParameter><Protocol>HTTP</Protocol><FollowQueryString>true</FollowQueryString>
            <HttpHeader><NewHttpHeader><Header><Key>a</Key><Value>a</Value></Header></NewHttpHeader></HttpHeader>
            <FollowRedirection>true</FollowRedirection><HttpRedirectCode>301</HttpRedirectCode><HttpRedirectCode>302</HttpRedirectCode></OriginParameter>
            <OriginInfo><HostInfo><HostName>qq.com</HostName></HostInfo><FileInfo><PrefixConfiguration><Prefix>p/</Prefix></PrefixConfiguration><SuffixConfiguration><Suffix>.jpg</Suffix></SuffixConfiguration></FileInfo></OriginInfo>
            <RulePriority>1</RulePriority></OriginRule></OriginConfiguration>
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var parameter = result.Configuration!.Rules[0].Parameter!;
        Assert.Equal([new KeyValuePair<string, string>("a", "a")], parameter.HttpHeader!.NewHttpHeaders!);
        Assert.Equal([301, 302], parameter.HttpRedirectCodes!);
    }
}
