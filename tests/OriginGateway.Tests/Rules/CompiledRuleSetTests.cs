using System.Text;
using OriginGateway.Rules;

namespace OriginGateway.Tests.Rules;

public sealed class CompiledRuleSetTests
{
    private static CompiledRuleSet Compile(string xml)
    {
        var result = OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes(xml));
        Assert.True(result.IsValid, result.Message);
        return new CompiledRuleSet(result.Configuration);
    }

    private const string Rules = """
        <OriginConfiguration>
          <OriginRule><RulePriority>3</RulePriority><OriginType>Mirror</OriginType>
            <OriginInfo><HostInfo><HostName>all.example.com</HostName></HostInfo></OriginInfo></OriginRule>
          <OriginRule><RulePriority>1</RulePriority><OriginType>Proxy</OriginType>
            <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>img/</Prefix></OriginCondition>
            <OriginInfo><HostInfo><HostName>img.example.com</HostName></HostInfo></OriginInfo></OriginRule>
          <OriginRule><RulePriority>2</RulePriority><OriginType>Redirect</OriginType>
            <OriginCondition><HTTPStatusCode>5XX</HTTPStatusCode></OriginCondition>
            <OriginInfo><HostInfo><HostName>fallback.example.com</HostName></HostInfo></OriginInfo></OriginRule>
          <OriginRule><RulePriority>4</RulePriority><OriginType>Redirect</OriginType>
            <OriginCondition><HTTPStatusCode>403</HTTPStatusCode><Prefix>private/</Prefix></OriginCondition>
            <OriginInfo><HostInfo><HostName>login.example.com</HostName></HostInfo></OriginInfo></OriginRule>
        </OriginConfiguration>
        """;

    [Theory]
    [InlineData("img/cat.jpg", 404, 1)]
    [InlineData("doc/a.txt", 404, 3)]
    [InlineData("img/cat.jpg", 503, 2)]
    [InlineData("private/x", 403, 4)]
    [InlineData("public/x", 403, null)]
    public void Match_UsesAscendingPriority_StatusAndPrefix(string key, int status, int? expectedPriority)
    {
        Assert.Equal(expectedPriority, Compile(Rules).Match(key, status)?.Priority);
    }

    [Fact]
    public void Empty_MatchesNothing()
    {
        Assert.Null(CompiledRuleSet.Empty.Match("a", 404));
    }
}
