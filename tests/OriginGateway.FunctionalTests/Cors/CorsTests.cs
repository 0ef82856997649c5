using System.Net;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Cors;

/// <summary>A gateway whose default bucket has CORS rules and Mirror / Proxy / Redirect rules on a WireMock.Net origin.</summary>
public sealed class CorsFixture : IAsyncLifetime
{
    public const string App = "https://app.example.com";

    public const string Configuration = """
        <CORSConfiguration>
          <CORSRule>
            <ID>app</ID>
            <AllowedOrigin>https://app.example.com</AllowedOrigin>
            <AllowedOrigin>https://*.example.org</AllowedOrigin>
            <AllowedMethod>GET</AllowedMethod>
            <AllowedMethod>PUT</AllowedMethod>
            <AllowedMethod>HEAD</AllowedMethod>
            <AllowedHeader>x-cos-meta-*</AllowedHeader>
            <AllowedHeader>Content-Type</AllowedHeader>
            <ExposeHeader>ETag</ExposeHeader>
            <ExposeHeader>x-cos-request-id</ExposeHeader>
            <MaxAgeSeconds>600</MaxAgeSeconds>
          </CORSRule>
          <CORSRule>
            <AllowedOrigin>*</AllowedOrigin>
            <AllowedMethod>DELETE</AllowedMethod>
          </CORSRule>
        </CORSConfiguration>
        """;

    public GatewayProcess Gateway { get; private set; } = null!;

    public WireMockOrigin Origin { get; private set; } = null!;

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        Origin = _servers.Add(WireMockOrigin.Start());
        Gateway = await _servers.AddAsync(GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32"]));
        var rules = OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Mirror", "m/", Origin.Host),
            OriginPullFixture.Rule(2, "Proxy", "p/", Origin.Host, parameter: "<CopyOriginData>false</CopyOriginData>"),
            OriginPullFixture.Rule(3, "Redirect", "r/", Origin.Host));
        await PutAsync("?origin", rules, HttpStatusCode.OK);
        await PutAsync("?cors", Configuration, HttpStatusCode.OK);
    });

    private async Task PutAsync(string query, string document, HttpStatusCode expected)
    {
        var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, query)) { Content = new StringContent(document) }.Sign());
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{query} refused: " + await response.Content.ReadAsStringAsync());
        }
    }

    public async Task DisposeAsync() => await _servers.DisposeAsync();
}

/// <summary><c>?cors</c>, preflight <c>OPTIONS</c>, and CORS headers on hits, origin-pull answers and errors.</summary>
public sealed class CorsTests(CorsFixture fixture) : IClassFixture<CorsFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}/obj.txt";

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string? origin, Action<HttpRequestMessage>? configure = null, bool sign = false)
    {
        var request = new HttpRequestMessage(method, new Uri(Gateway.DataUrl, pathAndQuery));
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }
        configure?.Invoke(request);
        return await Gateway.Client.SendAsync(sign ? request.Sign() : request);
    }

    private Task<HttpResponseMessage> PreflightAsync(string key, string? origin, string? method, string? headers = null) =>
        SendAsync(HttpMethod.Options, key, origin, r =>
        {
            if (method is not null)
            {
                r.Headers.TryAddWithoutValidation("Access-Control-Request-Method", method);
            }
            if (headers is not null)
            {
                r.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", headers);
            }
        });

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;

    private static async Task<string> CodeAsync(HttpResponseMessage response) => XElement.Parse(await response.Content.ReadAsStringAsync()).Element("Code")!.Value;

    [Fact]
    public async Task GetCors_AnswersTheNormalisedDocument_AndWritesNeedASignature()
    {
        var get = await SendAsync(HttpMethod.Get, "?cors", null, sign: true);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var rules = XElement.Parse(await get.Content.ReadAsStringAsync()).Elements("CORSRule").ToList();
        Assert.Equal(2, rules.Count);
        Assert.Equal("app", rules[0].Element("ID")!.Value);
        Assert.Equal(["https://app.example.com", "https://*.example.org"], rules[0].Elements("AllowedOrigin").Select(e => e.Value));
        Assert.Equal(["GET", "PUT", "HEAD"], rules[0].Elements("AllowedMethod").Select(e => e.Value));
        Assert.Equal("600", rules[0].Element("MaxAgeSeconds")!.Value);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "?cors", null)).StatusCode);
        var unsigned = await SendAsync(HttpMethod.Put, "?cors", null, r => r.Content = new StringContent(CorsFixture.Configuration));
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
    }

    [Fact]
    public async Task Preflight_IsAnsweredPerRule()
    {
        var allowed = await PreflightAsync("any/key.txt", CorsFixture.App, "PUT", "x-cos-meta-owner, content-type");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(CorsFixture.App, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, PUT, HEAD", Header(allowed, "Access-Control-Allow-Methods"));
        Assert.Equal("x-cos-meta-owner, content-type", Header(allowed, "Access-Control-Allow-Headers"));
        Assert.Equal("ETag, x-cos-request-id", Header(allowed, "Access-Control-Expose-Headers"));
        Assert.Equal("600", Header(allowed, "Access-Control-Max-Age"));
        Assert.Contains("Origin", Header(allowed, "Vary"), StringComparison.Ordinal);

        var wildcardHost = await PreflightAsync("k", "https://cdn.example.org", "GET");
        Assert.Equal(HttpStatusCode.OK, wildcardHost.StatusCode);
        Assert.Equal("https://cdn.example.org", Header(wildcardHost, "Access-Control-Allow-Origin"));

        // Any origin may DELETE (the second rule), no header allowed there.
        var anyOrigin = await PreflightAsync("k", "https://elsewhere.test", "DELETE");
        Assert.Equal(HttpStatusCode.OK, anyOrigin.StatusCode);
        Assert.Equal("DELETE", Header(anyOrigin, "Access-Control-Allow-Methods"));

        foreach (var (origin, method, headers) in new[] { ("https://elsewhere.test", "GET", (string?)null), (CorsFixture.App, "POST", null), (CorsFixture.App, "PUT", "authorization"), ("https://elsewhere.test", "DELETE", "x-cos-meta-a") })
        {
            var refused = await PreflightAsync("k", origin, method, headers);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("AccessForbidden", await CodeAsync(refused));
            Assert.Null(Header(refused, "Access-Control-Allow-Origin"));
        }

        var incomplete = await PreflightAsync("k", CorsFixture.App, null);
        Assert.Equal(HttpStatusCode.BadRequest, incomplete.StatusCode);
    }

    [Fact]
    public async Task ActualResponses_CarryTheHeaders_ForHitsAndErrors_OnlyForAllowedOrigins()
    {
        var key = Unique("hit/");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, key, CorsFixture.App, r => r.Content = new StringContent("hello"), sign: true)).StatusCode);

        var hit = await SendAsync(HttpMethod.Get, key, CorsFixture.App);
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(CorsFixture.App, Header(hit, "Access-Control-Allow-Origin"));
        Assert.Equal("ETag, x-cos-request-id", Header(hit, "Access-Control-Expose-Headers"));
        Assert.Contains("Origin", Header(hit, "Vary"), StringComparison.Ordinal);

        var other = await SendAsync(HttpMethod.Get, key, "https://elsewhere.test");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Null(Header(other, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", Header(other, "Vary"), StringComparison.Ordinal);

        var none = await SendAsync(HttpMethod.Get, key, null);
        Assert.Null(Header(none, "Access-Control-Allow-Origin"));

        var missing = await SendAsync(HttpMethod.Head, Unique("none/"), CorsFixture.App);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(CorsFixture.App, Header(missing, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task OriginPullAnswers_CarryTheBucketsHeaders_NotTheOrigins()
    {
        var mirrored = Unique("m/");
        fixture.Origin.Serve("/" + mirrored, Encoding.UTF8.GetBytes("from origin"), "text/plain", ("Access-Control-Allow-Origin", "*"));
        var mirror = await SendAsync(HttpMethod.Get, mirrored, CorsFixture.App);
        Assert.Equal(HttpStatusCode.OK, mirror.StatusCode);
        Assert.Equal("from origin", await mirror.Content.ReadAsStringAsync());
        Assert.Equal(CorsFixture.App, Header(mirror, "Access-Control-Allow-Origin"));

        var proxied = Unique("p/");
        fixture.Origin.Serve("/" + proxied, Encoding.UTF8.GetBytes("proxied"), "text/plain", ("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "x-secret"));
        var proxy = await SendAsync(HttpMethod.Get, proxied, CorsFixture.App);
        Assert.Equal(HttpStatusCode.OK, proxy.StatusCode);
        Assert.Equal("proxy", Header(proxy, "x-origin-action"));
        Assert.Equal(CorsFixture.App, Header(proxy, "Access-Control-Allow-Origin"));
        Assert.Equal("ETag, x-cos-request-id", Header(proxy, "Access-Control-Expose-Headers"));

        // An origin's CORS headers never reach a request from an origin the bucket does not allow.
        var proxiedElsewhere = await SendAsync(HttpMethod.Get, proxied, "https://elsewhere.test");
        Assert.Null(Header(proxiedElsewhere, "Access-Control-Allow-Origin"));
        Assert.Null(Header(proxiedElsewhere, "Access-Control-Expose-Headers"));

        var redirect = await SendAsync(HttpMethod.Get, Unique("r/"), CorsFixture.App);
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal(CorsFixture.App, Header(redirect, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task BadConfigurations_AreRefusedWithEveryProblem_AndTheStoredOneStays()
    {
        async Task<(HttpStatusCode, string)> PutAsync(string document)
        {
            var response = await SendAsync(HttpMethod.Put, "?cors", null, r => r.Content = new StringContent(document), sign: true);
            var body = XElement.Parse(await response.Content.ReadAsStringAsync());
            return (response.StatusCode, body.Element("Code")!.Value + ": " + body.Element("Message")!.Value);
        }

        var (status, error) = await PutAsync("<CORSConfiguration><CORSRule><AllowedMethod>PATCH</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule></CORSConfiguration>");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("InvalidArgument", error, StringComparison.Ordinal);
        Assert.Contains("PATCH", error, StringComparison.Ordinal);
        Assert.Contains("MaxAgeSeconds", error, StringComparison.Ordinal);
        Assert.Contains("AllowedOrigin", error, StringComparison.Ordinal);
        Assert.StartsWith("MalformedXML", (await PutAsync("<CORSConfiguration><CORSRule>")).Item2, StringComparison.Ordinal);
        Assert.StartsWith("MalformedXML", (await PutAsync("<!DOCTYPE x [<!ENTITY a \"b\">]><CORSConfiguration/>")).Item2, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await PreflightAsync("k", CorsFixture.App, "GET")).StatusCode);
    }
}

/// <summary>Deleting and reloading a CORS configuration (a gateway of its own, restarted).</summary>
public sealed class CorsLifecycleTests
{
    [Fact]
    public async Task Delete_StopsCors_AndAStoredConfigurationSurvivesARestart()
    {
        var directory = TestPaths.NewTempDirectory("og-cors");
        try
        {
            await using (var gateway = await GatewayProcess.StartAsync(dataDirectory: directory))
            {
                var put = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?cors")) { Content = new StringContent(CorsFixture.Configuration) }.Sign());
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }
            await using (var gateway = await GatewayProcess.StartAsync(dataDirectory: directory))
            {
                async Task<HttpStatusCode> PreflightAsync()
                {
                    var request = new HttpRequestMessage(HttpMethod.Options, new Uri(gateway.DataUrl, "k"));
                    request.Headers.TryAddWithoutValidation("Origin", CorsFixture.App);
                    request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "GET");
                    return (await gateway.Client.SendAsync(request)).StatusCode;
                }
                Assert.Equal(HttpStatusCode.OK, await PreflightAsync());

                var delete = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, new Uri(gateway.DataUrl, "?cors")).Sign());
                Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
                Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync());
                var get = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, "?cors")).Sign());
                Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
                Assert.Contains("<Code>NoSuchCORSConfiguration</Code>", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
