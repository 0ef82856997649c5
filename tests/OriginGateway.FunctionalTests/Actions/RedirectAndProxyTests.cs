using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Actions;

public sealed class RedirectAndProxyTests(OriginPullFixture fixture) : IClassFixture<OriginPullFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private static string Unique(string prefix, string name = "obj.bin") => $"{prefix}{Guid.NewGuid():N}/{name}";

    private async Task<HttpResponseMessage> GetAsync(string key, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, fixture.Url(key));
        configure?.Invoke(request);
        return await Gateway.Client.SendAsync(request);
    }

    [Fact]
    public async Task Redirect_Default302_ExactLocation_NothingFetchedOrStored()
    {
        var key = Unique("r/", "a b.txt");

        var response = await GetAsync(key + "?v=1");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal($"http://{fixture.A.Host}/{key.Replace(" ", "%20", StringComparison.Ordinal)}?v=1", response.Headers.Location!.OriginalString);
        Assert.Equal("redirect", response.Headers.GetValues("x-origin-action").Single());
        Assert.Equal("7", response.Headers.GetValues("x-origin-rule").Single());
        Assert.Equal(0, fixture.A.Count("/" + key));
        Assert.Equal(HttpStatusCode.NotFound, await fixture.HeadStatusAsync(key));
    }

    [Fact]
    public async Task Redirect_ExplicitCodeAndProtocol_PresignParametersStripped()
    {
        var key = Unique("r301/");
        var presigned = CosSigner.Presign(fixture.Url(key), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        var response = await Gateway.Client.GetAsync(new Uri(presigned + "&keep=yes"));

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal($"https://cdn.example.com/{key}?keep=yes", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Proxy_StreamsTheOrigin_AndStoresTheObject()
    {
        var key = Unique("p/");
        var body = RandomNumberGenerator.GetBytes(400_000);
        fixture.A.Serve("/" + key, body, "video/mp4", ("x-amz-meta-k", "v"));

        var response = await GetAsync(key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("proxy", response.Headers.GetValues("x-origin-action").Single());
        Assert.Equal("9", response.Headers.GetValues("x-origin-rule").Single());
        Assert.True(response.Headers.Contains("x-cos-request-id"));
        await fixture.WaitForHitAsync(key);
        var hit = await GetAsync(key);
        Assert.Equal("hit", hit.Headers.GetValues("x-origin-action").Single());
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal("video/mp4", hit.Content.Headers.ContentType!.ToString());
        Assert.Equal(1, fixture.A.Count("/" + key));
    }

    [Fact]
    public async Task Proxy_RangePassedOn_ThenTheObjectIsStoredInTheBackground()
    {
        var key = Unique("p/");
        var body = RandomNumberGenerator.GetBytes(100_000);
        fixture.A.Serve("/" + key, body);

        var response = await GetAsync(key, r => r.Headers.TryAddWithoutValidation("Range", "bytes=10-19"));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(body[10..20], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes=10-19", fixture.A.Hits("/" + key)[0].Headers["Range"]);
        await fixture.WaitForHitAsync(key);
        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Proxy_OriginErrors_PassThrough_NothingStored()
    {
        var key = Unique("p/");
        fixture.A.Status("/" + key, 503, "origin overloaded");

        var response = await GetAsync(key);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("origin overloaded", await response.Content.ReadAsStringAsync());
        await Task.Delay(300);
        Assert.Equal(HttpStatusCode.NotFound, await fixture.HeadStatusAsync(key));
    }

    [Theory]
    [InlineData("pfo/", "server error")]
    [InlineData("pfodead/", "unreachable")]
    public async Task Proxy_PrimaryFailing_FailsOverToItsStandby_WhoseAnswerIsServedAndStored(string prefix, string primary)
    {
        var key = Unique(prefix);
        var body = RandomNumberGenerator.GetBytes(70_000);
        if (primary == "server error")
        {
            fixture.A.Status("/" + key, 503, "origin overloaded");
        }
        fixture.B.Serve("/" + key, body);
        var failedHost = prefix == "pfo/" ? fixture.A.Host : "127.0.0.1:1";
        var failoversBefore = await FailoversAsync(failedHost);

        var response = await GetAsync(key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("proxy", response.Headers.GetValues("x-origin-action").Single());
        // Nothing of the primary's answer reached the client: the standby's whole answer did.
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(prefix == "pfo/" ? 1 : 0, fixture.A.Count("/" + key));
        Assert.Equal(1, fixture.B.Count("/" + key));
        Assert.Equal(failoversBefore + 1, await FailoversAsync(failedHost));
        await fixture.WaitForHitAsync(key);
        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Proxy_NotFound_FailsOverOnlyWhenListedInHttpStandbyCode_AndTheLastCandidatesAnswerPassesThrough()
    {
        var listed = Unique("pfo4/");
        fixture.B.Serve("/" + listed, "from standby"u8.ToArray());
        var fromStandby = await GetAsync(listed);
        Assert.Equal(HttpStatusCode.OK, fromStandby.StatusCode);
        Assert.Equal("from standby", await fromStandby.Content.ReadAsStringAsync());

        var unlisted = Unique("pfo/");
        fixture.B.Serve("/" + unlisted, "never asked"u8.ToArray());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(unlisted)).StatusCode);
        Assert.Equal(0, fixture.B.Count("/" + unlisted));

        // Every candidate failing: the last one's answer is passed through as it came, nothing stored.
        var failing = Unique("pfo/");
        fixture.A.Status("/" + failing, 500, "primary broken");
        fixture.B.Status("/" + failing, 502, "standby broken");
        var last = await GetAsync(failing);
        Assert.Equal(HttpStatusCode.BadGateway, last.StatusCode);
        Assert.Equal("standby broken", await last.Content.ReadAsStringAsync());
        await Task.Delay(300);
        Assert.Equal(HttpStatusCode.NotFound, await fixture.HeadStatusAsync(failing));
    }

    private async Task<int> FailoversAsync(string host)
    {
        var metrics = await Gateway.Client.GetStringAsync(new Uri(Gateway.ControlUrl, "metrics"));
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith($"origin_gateway_origin_failovers_total{{host=\"{host}\"}} ", StringComparison.Ordinal));
        return line is null ? 0 : int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Proxy_CopyOriginDataFalse_IsAPurePassThrough()
    {
        var key = Unique("pp/");
        var body = RandomNumberGenerator.GetBytes(70_000);
        fixture.A.Serve("/" + key, body);

        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());

        await Task.Delay(300);
        Assert.Equal(HttpStatusCode.NotFound, await fixture.HeadStatusAsync(key));
        Assert.Equal(2, fixture.A.Count("/" + key));
    }

    [Fact]
    public async Task Proxy_PolicyNotAllowingTheService_ServesButStoresNothing()
    {
        var key = $"p/denied{Guid.NewGuid():N}/obj.bin";
        var body = RandomNumberGenerator.GetBytes(70_000);
        fixture.A.Serve("/" + key, body);
        var policyUrl = fixture.Url("?policy");
        var policy = $$"""
            {"version":"2.0","Statement":[
              {"Principal":{"service":"cos.qcloud.com"},"Effect":"Allow","Action":["name/cos:PutObject"],"Resource":["qcs::cos:*:uid/1250000000:{{GatewayProcess.DefaultBucket}}/*"]},
              {"Principal":{"service":"cos.qcloud.com"},"Effect":"Deny","Action":["name/cos:PutObject"],"Resource":["qcs::cos:*:uid/1250000000:{{GatewayProcess.DefaultBucket}}/p/denied*"]}]}
            """;
        Assert.Equal(HttpStatusCode.NoContent, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, policyUrl) { Content = new StringContent(policy) }.Sign())).StatusCode);
        try
        {
            var full = await GetAsync(key);
            Assert.Equal(HttpStatusCode.OK, full.StatusCode);
            Assert.Equal(body, await full.Content.ReadAsByteArrayAsync());
            var ranged = await GetAsync(key, r => r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 99));
            Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);

            await Task.Delay(500);
            Assert.Equal(HttpStatusCode.NotFound, await fixture.HeadStatusAsync(key));
            Assert.Equal(2, fixture.A.Count("/" + key));
        }
        finally
        {
            await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, policyUrl).Sign());
        }
    }

    [Fact]
    public async Task Proxy_WithRedirectCode_RedirectsNow_AndStoresInTheBackground()
    {
        var key = Unique("pr/");
        var body = RandomNumberGenerator.GetBytes(20_000);
        fixture.A.Serve("/" + key, body);

        var response = await GetAsync(key);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal($"http://{fixture.A.Host}/{key}", response.Headers.Location!.OriginalString);
        Assert.Equal("proxy", response.Headers.GetValues("x-origin-action").Single());
        await fixture.WaitForHitAsync(key);
        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task OriginExplain_DescribesWithoutContactingTheOrigin()
    {
        var key = Unique("hdr/", "x.txt");
        var request = new HttpRequestMessage(HttpMethod.Get, fixture.Url($"?origin-explain&key={Uri.EscapeDataString(key)}&query=a%3D1&header=Referer:r&header=Cookie:c"));

        var response = await Gateway.Client.SendAsync(request.Sign());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(key, root.GetProperty("key").GetString());
        Assert.Equal(14, root.GetProperty("rule").GetInt32());
        Assert.Equal("mirror", root.GetProperty("action").GetString());
        Assert.Equal($"http://{fixture.A.Host}/{key}?a=1", root.GetProperty("url").GetString());
        Assert.Equal("r", root.GetProperty("headers").GetProperty("sent").GetProperty("Referer").GetString());
        Assert.Equal("csv", root.GetProperty("headers").GetProperty("sent").GetProperty("x-cos-ContentType").GetString());
        Assert.Contains("Cookie", root.GetProperty("headers").GetProperty("dropped").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("stores").GetBoolean());
        Assert.Equal(0, fixture.A.Count("/" + key));

        Assert.Equal(HttpStatusCode.Forbidden, (await Gateway.Client.GetAsync(fixture.Url($"?origin-explain&key={key}"))).StatusCode);
    }

    [Fact]
    public async Task PutOrigin_WithALiteralDeniedAddress_IsRefused()
    {
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "", "127.0.0.2:8080"), OriginPullFixture.Rule(2, "Mirror", "x/", "10.0.0.1", standbys: ["[::1]:80"]));
        var request = new HttpRequestMessage(HttpMethod.Put, fixture.Url("?origin")) { Content = new StringContent(rules) };

        var response = await Gateway.Client.SendAsync(request.Sign());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>InvalidArgument</Code>", text, StringComparison.Ordinal);
        Assert.Contains("127.0.0.2", text, StringComparison.Ordinal);
        Assert.Contains("10.0.0.1", text, StringComparison.Ordinal);
        Assert.Contains("::1", text, StringComparison.Ordinal);
        // The fixture's rules are still in force.
        Assert.Equal("redirect", (await GetAsync(Unique("r/"))).Headers.GetValues("x-origin-action").Single());
    }
}
