using System.Net;
using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>Rule conditions on 403 and 5xx, the per-host fill cap and the maximum object size.</summary>
public sealed class OriginLimitsTests : IAsyncLifetime
{
    private const string PrivateBucket = "private-1250000000";
    private WireMockOrigin _origin = null!;
    private SlowOrigin _measured = null!;
    private GatewayProcess _gateway = null!;

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        _origin = _servers.Add(WireMockOrigin.Start());
        _measured = await _servers.AddAsync(SlowOrigin.StartAsync());
        _gateway = await _servers.AddAsync(GatewayProcess.StartAsync(
        [
            "--OriginPull:PerHostConcurrency=2",
            "--OriginPull:MaxObjectSize=10000",
            $"--Buckets:1:Name={PrivateBucket}",
        ]));
        await PutRulesAsync("", OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Redirect", "broken/", "status.example.com", status: "5XX"),
            OriginPullFixture.Rule(2, "Mirror", "capped/", _measured.Host),
            OriginPullFixture.Rule(3, "Mirror", "", _origin.Host)));
        await PutRulesAsync(PrivateBucket + "/", OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Redirect", "members/", "login.example.com", status: "403"),
            OriginPullFixture.Rule(2, "Redirect", "", "fallback.example.com", status: "4XX")));
    });

    private async Task PutRulesAsync(string bucketPath, string rules)
    {
        var response = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, bucketPath + "?origin")) { Content = new StringContent(rules) }.Sign());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task RefusedAnonymousRead_FiresA403Redirect_AndA4XXClassRule()
    {
        var members = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, $"{PrivateBucket}/members/page.html"));
        Assert.Equal(HttpStatusCode.Found, members.StatusCode);
        Assert.Equal("http://login.example.com/members/page.html", members.Headers.Location!.OriginalString);
        Assert.Equal("1", members.Headers.GetValues("x-origin-rule").Single());

        var other = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, $"{PrivateBucket}/public/x"));
        Assert.Equal("http://fallback.example.com/public/x", other.Headers.Location!.OriginalString);

        // A signed read of a missing key is a 404 — also a 4xx: the class rule fires.
        var signed = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.DataUrl, $"{PrivateBucket}/members/x")).Sign());
        Assert.Equal("http://fallback.example.com/members/x", signed.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task StoreFailure_FiresA5XXRedirect()
    {
        var key = $"broken/{Guid.NewGuid():N}";
        var put = new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, key)) { Content = new ByteArrayContent("x"u8.ToArray()) };
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Client.SendAsync(put.Sign())).StatusCode);
        // Make the stored object unreadable behind the gateway's back: its file becomes a directory.
        var file = Directory.EnumerateFiles(Path.Combine(_gateway.DataDirectory, "buckets", GatewayProcess.DefaultBucket, "objects"), "*.obj", SearchOption.AllDirectories)
            .Single(f => File.ReadAllBytes(f).AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(key)) >= 0);
        File.Delete(file);
        Directory.CreateDirectory(file);

        var response = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, key));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal($"http://status.example.com/{key}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ObjectLargerThanMaxObjectSize_IsServedWhole_AndNotStored()
    {
        var body = RandomNumberGenerator.GetBytes(50_000);
        _origin.Serve("/large.bin", body);

        Assert.Equal(body, await (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, "large.bin"))).Content.ReadAsByteArrayAsync());
        await Task.Delay(200);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, "large.bin")))).StatusCode);
    }

    [Fact]
    public async Task FillsOfOneHost_AreCapped()
    {
        var concurrent = 0;
        var peak = 0;
        for (var i = 0; i < 6; i++)
        {
            _measured.On($"/capped/{i}", async context =>
            {
                var now = Interlocked.Increment(ref concurrent);
                InterlockedMax(ref peak, now);
                await Task.Delay(300);
                Interlocked.Decrement(ref concurrent);
                context.Response.ContentLength = 3;
                await context.Response.Body.WriteAsync("abc"u8.ToArray());
            });
        }

        var bodies = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => _gateway.Client.GetStringAsync(new Uri(_gateway.DataUrl, $"capped/{i}"))));

        Assert.All(bodies, b => Assert.Equal("abc", b));
        Assert.Equal(2, peak);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
