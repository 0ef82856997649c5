using System.Text;
using OriginGateway.Cors;

namespace OriginGateway.Tests.Cors;

public sealed class CorsConfigurationTests
{
    private static CorsConfiguration Parse(string xml) =>
        CorsConfiguration.Parse(Encoding.UTF8.GetBytes(xml), out var errors, out _) ?? throw new InvalidOperationException(string.Join("; ", errors));

    [Theory]
    [InlineData("*", "https://a.test", true)]
    [InlineData("https://*.example.org", "https://cdn.example.org", true)]
    [InlineData("https://*.example.org", "https://example.org", false)]
    [InlineData("https://*.example.org", "http://cdn.example.org", false)]
    [InlineData("https://app.example.com", "https://app.example.com:8443", false)]
    [InlineData("x-cos-meta-*", "x-cos-meta-", true)]
    public void WildcardMatch_OneStarForAnyRun(string pattern, string value, bool matches) =>
        Assert.Equal(matches, CorsConfiguration.WildcardMatch(pattern, value, StringComparison.Ordinal));

    [Fact]
    public void Match_TakesTheFirstRuleThatAllowsOriginMethodAndEveryHeader()
    {
        var cors = Parse("""
            <CORSConfiguration>
              <CORSRule><ID>one</ID><AllowedOrigin>https://a.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>X-Cos-Meta-*</AllowedHeader></CORSRule>
              <CORSRule><ID>two</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>
            </CORSConfiguration>
            """);

        Assert.Equal("one", cors.Match("https://a.test", "GET", ["x-cos-meta-a"])!.Id);
        Assert.Equal("two", cors.Match("https://a.test", "GET", ["x-cos-meta-a", "authorization"])!.Id);
        Assert.Equal("two", cors.Match("https://b.test", "PUT")!.Id);
        Assert.Null(cors.Match("https://b.test", "DELETE"));
        Assert.Null(cors.Match("https://a.test", "get"));
    }

    [Fact]
    public void Parse_ReportsEveryProblem_WithItsPath()
    {
        var configuration = CorsConfiguration.Parse(Encoding.UTF8.GetBytes("""
            <CORSConfiguration>
              <CORSRule><AllowedMethod>PATCH</AllowedMethod></CORSRule>
              <CORSRule><AllowedOrigin>https://**.x</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>a b</ExposeHeader><MaxAgeSeconds>x</MaxAgeSeconds><Other/></CORSRule>
              <Stray/>
            </CORSConfiguration>
            """), out var errors, out var malformed);

        Assert.Null(configuration);
        Assert.False(malformed);
        Assert.Contains(errors, e => e.StartsWith("CORSRule[1]/AllowedMethod 'PATCH'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e == "CORSRule[1]: at least one AllowedOrigin.");
        Assert.Contains(errors, e => e.StartsWith("CORSRule[2]/AllowedOrigin", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("CORSRule[2]/ExposeHeader", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("CORSRule[2]/MaxAgeSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e == "CORSRule[2]: unknown element <Other>.");
        Assert.Contains(errors, e => e == "CORSConfiguration: unknown element <Stray>.");
    }

    [Fact]
    public void Write_RoundTrips()
    {
        var cors = Parse("<CORSConfiguration><CORSRule><MaxAgeSeconds>5</MaxAgeSeconds><AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>");

        var written = cors.Write();

        Assert.Equal("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>", written);
        Assert.Equal(written, Parse(written).Write());
    }
}
