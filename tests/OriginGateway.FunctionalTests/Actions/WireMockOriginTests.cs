using System.Net;
using OriginGateway.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>Origin rules against a WireMock.Net origin, as a developer testing rules locally would run them.</summary>
public sealed class WireMockOriginTests
{
    [Fact]
    public async Task MirrorProxyAndRedirect_AgainstWireMock()
    {
        await using var wiremock = WireMockOrigin.Start();
        wiremock.Server.Given(Request.Create().WithPath("/assets/logo.svg").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("<svg>logo</svg>").WithHeader("Content-Type", "image/svg+xml").WithHeader("x-amz-meta-team", "web"));
        wiremock.Server.Given(Request.Create().WithPath("/live/feed.json").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { items = 3 }));

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
        Assert.Equal(1, wiremock.Count("GET", "/assets/logo.svg"));

        // Proxy pass-through: every GET reaches the origin, nothing stored.
        for (var i = 0; i < 2; i++)
        {
            var live = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "live/feed.json?page=2"));
            Assert.Contains("\"items\":3", (await live.Content.ReadAsStringAsync()).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Equal("proxy", live.Headers.GetValues("x-origin-action").Single());
        }
        Assert.Equal(2, wiremock.Count("GET", "/live/feed.json?page=2"));

        // Redirect: nothing fetched.
        var redirect = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "old/page.html"));
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal($"http://{wiremock.Host}/old/page.html", redirect.Headers.Location!.OriginalString);
        Assert.Equal(0, wiremock.Count("GET", "/old/page.html"));

        // Origin 404: nothing stored. (Broken framing is the fault catalogue's, on raw sockets: WireMock cannot send it.)
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "assets/missing.png"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, "assets/missing.png")))).StatusCode);
    }
}
