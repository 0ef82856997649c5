using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Egress;
using OriginGateway.Lifecycle;
using OriginGateway.Observability;

namespace OriginGateway.Tests.Egress;

/// <summary>The guard's decisions with scripted DNS answers; nothing here opens a connection.</summary>
public sealed class EgressGuardTests
{
    private sealed class ScriptedResolver(Dictionary<string, string[]> answers) : IEgressResolver
    {
        public int Calls { get; private set; }

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(answers.TryGetValue(host, out var a) ? a.Select(IPAddress.Parse).ToArray() : []);
        }
    }

    private sealed class FixedListeners(params IPEndPoint[] endpoints) : IGatewayListeners
    {
        public IEnumerable<IPEndPoint> Listeners => endpoints;
    }

    private static EgressGuard Guard(string[] allowed, Dictionary<string, string[]> dns, params IPEndPoint[] own) =>
        Guard(new EgressOptions(), allowed, dns, own);

    private static EgressGuard Guard(EgressOptions options, string[] allowed, Dictionary<string, string[]> dns, params IPEndPoint[] own) =>
        new(options, new EgressAddressClassifier(allowed, []), new ScriptedResolver(dns), new FixedListeners(own), new GatewayMetrics(), NullLogger<EgressGuard>.Instance);

    private static readonly Dictionary<string, string[]> Dns = new()
    {
        ["public.example"] = ["93.184.216.34"],
        ["mixed.example"] = ["93.184.216.34", "10.0.0.5"],
        ["metadata.example"] = ["169.254.169.254"],
        ["localhost"] = ["127.0.0.1"],
        ["svc.internal"] = ["93.184.216.34"],
        ["printer.local"] = ["127.0.0.1"],
        ["metadata.tencentyun.com"] = ["93.184.216.34"],
        ["v6only.example"] = ["::1"],
        // What a hostile resolver might answer for full-width digits (Uri turns them into an IDN name).
        [new Uri("http://１２７.０.０.１/").IdnHost] = ["127.0.0.1"],
    };

    [Fact]
    public async Task FullWidthDigits_AreJudgedByTheAddressTheyResolveTo()
    {
        var host = new Uri("http://１２７.０.０.１:8080/x").IdnHost;

        await Assert.ThrowsAsync<EgressDeniedException>(() => Guard([], Dns).ResolveAllowedAsync(host, 8080, CancellationToken.None));
    }

    [Fact]
    public async Task PublicName_IsAllowed()
    {
        var addresses = await Guard([], Dns).ResolveAllowedAsync("public.example", 80, CancellationToken.None);

        Assert.Equal([IPAddress.Parse("93.184.216.34")], addresses);
    }

    [Theory]
    [InlineData("mixed.example")]           // any denied answer denies
    [InlineData("metadata.example")]
    [InlineData("v6only.example")]
    [InlineData("localhost")]
    [InlineData("svc.internal")]            // internal names, whatever they resolve to
    [InlineData("metadata.tencentyun.com")]
    [InlineData("127.0.0.2")]
    [InlineData("[::1]")]
    [InlineData("2130706433")]
    [InlineData("127.1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task Denied(string host)
    {
        await Assert.ThrowsAsync<EgressDeniedException>(() => Guard([], Dns).ResolveAllowedAsync(host, 80, CancellationToken.None));
    }

    [Fact]
    public async Task InternalName_IsAllowed_WhenEveryAnswerIsInAllowedNetworks()
    {
        var guard = Guard(["127.0.0.0/8"], Dns);

        Assert.NotEmpty(await guard.ResolveAllowedAsync("localhost", 9000, CancellationToken.None));
        Assert.NotEmpty(await guard.ResolveAllowedAsync("printer.local", 9000, CancellationToken.None));
        await Assert.ThrowsAsync<EgressDeniedException>(() => guard.ResolveAllowedAsync("svc.internal", 80, CancellationToken.None));
    }

    [Fact]
    public async Task OnlyTheAllowedLoopbackAddress_IsAllowed()
    {
        var guard = Guard(["127.0.0.1/32"], Dns);

        Assert.NotEmpty(await guard.ResolveAllowedAsync("127.0.0.1", 9000, CancellationToken.None));
        foreach (var spelling in new[] { "127.0.0.2", "2130706434", "127.2", "::1", "[::ffff:127.0.0.2]" })
        {
            await Assert.ThrowsAsync<EgressDeniedException>(() => guard.ResolveAllowedAsync(spelling, 9000, CancellationToken.None));
        }
    }

    /// <summary>Answers a name differently at every call, as a rebinding DNS server would.</summary>
    private sealed class RebindingResolver(params string[] answers) : IEgressResolver
    {
        public int Calls { get; private set; }

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            Task.FromResult(new[] { IPAddress.Parse(answers[Math.Min(Calls++, answers.Length - 1)]) });
    }

    [Fact]
    public async Task ANameWhoseAnswerChanges_IsDialledAtTheAddressThatWasChecked_AndDeniedWhenItTurnsInternal()
    {
        // Allowed: 127.0.0.1 only. The name first resolves there, then to 127.0.0.2 (the internal host).
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[4096];
            _ = await stream.ReadAsync(buffer);
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
            return ((IPEndPoint)client.Client.LocalEndPoint!).Address;
        });
        var resolver = new RebindingResolver("127.0.0.1", "127.0.0.2");
        var guard = new EgressGuard(new EgressOptions(), new EgressAddressClassifier(["127.0.0.1/32"], []), resolver, new FixedListeners(), new GatewayMetrics(), NullLogger<EgressGuard>.Instance);
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync, PooledConnectionLifetime = TimeSpan.Zero });

        Assert.Equal("ok", await http.GetStringAsync($"http://rebinding.example:{port}/"));
        Assert.Equal(IPAddress.Loopback, await served);
        Assert.Equal(1, resolver.Calls);

        // The next connection asks again, gets the internal address, and is refused before any dial.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"http://rebinding.example:{port}/"));
        Assert.IsType<EgressDeniedException>(refused.InnerException);
        Assert.Equal(2, resolver.Calls);
    }

    [Fact]
    public async Task OwnListeners_AreAlwaysDenied_EvenInsideAllowedNetworks()
    {
        var guard = Guard(["127.0.0.0/8"], Dns, new IPEndPoint(IPAddress.Loopback, 8081), new IPEndPoint(IPAddress.Any, 8080));

        await Assert.ThrowsAsync<EgressDeniedException>(() => guard.ResolveAllowedAsync("127.0.0.1", 8081, CancellationToken.None));
        await Assert.ThrowsAsync<EgressDeniedException>(() => guard.ResolveAllowedAsync("127.0.0.9", 8081, CancellationToken.None));
        await Assert.ThrowsAsync<EgressDeniedException>(() => guard.ResolveAllowedAsync("127.0.0.1", 8080, CancellationToken.None));
        Assert.NotEmpty(await guard.ResolveAllowedAsync("127.0.0.1", 9000, CancellationToken.None));
    }

    [Theory]
    [InlineData("ftp://example.com/a", false)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("http://user:pass@example.com/a", false)]
    [InlineData("https://example.com/a", true)]
    [InlineData("http://example.com:8080/a?b", true)]
    public void CheckUrl_SchemeAndUserInfo(string url, bool allowed)
    {
        Assert.Equal(allowed, EgressGuard.CheckUrl(new Uri(url)) is null);
    }

    [Theory]
    [InlineData("127.0.0.2", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("[::1]", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("origin.example.com", false)]
    public void CheckLiteralHost_RefusesDeniedLiterals(string host, bool refused)
    {
        Assert.Equal(refused, Guard(["127.0.0.1/32"], Dns).CheckLiteralHost(host) is not null);
    }

    [Theory]
    [InlineData("http://example.com/a", true)]
    [InlineData("https://example.com/a", true)]
    [InlineData("http://example.com:8080/a", false)]
    [InlineData("http://example.com:6379/", false)]
    [InlineData("ftp://example.com/a", false)]
    public void CheckClientUrl_DefaultPortsOnly(string url, bool allowed)
    {
        Assert.Equal(allowed, Guard(["127.0.0.1/32"], Dns).CheckClientUrl(new Uri(url)) is null);
    }

    [Fact]
    public void CheckClientUrl_StarPort_AllowsAnyPort()
    {
        var guard = Guard(new EgressOptions { AllowedPorts = ["*"] }, ["127.0.0.1/32"], Dns);
        Assert.Null(guard.CheckClientUrl(new Uri("http://example.com:8080/a")));
        Assert.NotNull(guard.CheckClientUrl(new Uri("http://user@example.com:8080/a")));
    }
}
