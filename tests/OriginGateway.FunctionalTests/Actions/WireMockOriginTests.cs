using System.Net;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>Origin rules against a real WireMock standalone origin, as a developer testing rules locally would run them.</summary>
public sealed class WireMockOriginTests
{
    [Fact]
    public async Task MirrorProxyAndRedirect_AgainstWireMock()
    {
        await using var wiremock = await WireMockOrigin.StartAsync();
        await wiremock.MapAsync(new
        {
            request = new { method = "GET", url = "/assets/logo.svg" },
            response = new { status = 200, body = "<svg>logo</svg>", headers = new Dictionary<string, string> { ["Content-Type"] = "image/svg+xml", ["x-amz-meta-team"] = "web" } },
        });
        await wiremock.MapAsync(new
        {
            request = new { method = "GET", urlPath = "/live/feed.json" },
            response = new { status = 200, jsonBody = new { items = 3 } },
        });
        await wiremock.MapAsync(new
        {
            request = new { method = "GET", url = "/assets/broken.bin" },
            response = new { status = 200, fault = "RANDOM_DATA_THEN_CLOSE" },
        });

        await using var gateway = await GatewayProcess.StartAsync();
        var rules = OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Redirect", "old/", wiremock.Host),
            OriginPullFixture.Rule(2, "Proxy", "live/", wiremock.Host, parameter: "<CopyOriginData>false</CopyOriginData>"),
            OriginPullFixture.Rule(3, "Mirror", "assets/", wiremock.Host));
        var put = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        // Mirror: one origin request however many GETs; stored with the origin's type and metadata.
        Assert.Equal("<svg>logo</svg>", await gateway.Client.GetStringAsync(new Uri(gateway.DataUrl, "assets/logo.svg")));
        var hit = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "assets/logo.svg"));
        Assert.Equal("hit", hit.Headers.GetValues("x-origin-action").Single());
        Assert.Equal("image/svg+xml", hit.Content.Headers.ContentType!.ToString());
        Assert.Equal("web", hit.Headers.GetValues("x-cos-meta-team").Single());
        Assert.Equal(1, await wiremock.CountAsync("GET", "/assets/logo.svg"));

        // Proxy pass-through: every GET reaches the origin, nothing stored.
        for (var i = 0; i < 2; i++)
        {
            var live = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "live/feed.json?page=2"));
            Assert.Contains("\"items\":3", (await live.Content.ReadAsStringAsync()).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Equal("proxy", live.Headers.GetValues("x-origin-action").Single());
        }
        Assert.Equal(2, await wiremock.CountAsync("GET", "/live/feed.json?page=2"));

        // Redirect: nothing fetched.
        var redirect = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "old/page.html"));
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal($"http://{wiremock.Host}/old/page.html", redirect.Headers.Location!.OriginalString);
        Assert.Equal(0, await wiremock.CountAsync("GET", "/old/page.html"));

        // Origin 404 and a broken origin body: nothing stored.
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "assets/missing.png"))).StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var broken = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "assets/broken.bin"));
            broken.EnsureSuccessStatusCode();
        });
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, "assets/broken.bin")))).StatusCode);
    }
}
