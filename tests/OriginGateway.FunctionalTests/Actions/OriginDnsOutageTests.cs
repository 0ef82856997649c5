using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>
/// Origin rules name their hosts, and names need a DNS server: here one that receives every query and answers none — a
/// frozen resolver, or one a firewall swallows. The gateway (in a mount namespace of its own, <c>/etc/resolv.conf</c>
/// pointing at a UDP socket of this test on a loopback address) asks it with glibc's timeouts (5 s × 3 attempts). Before,
/// each miss waited for the whole lookup (15 s and more, whatever <c>OriginPull:ConnectTimeout</c> said) and the log blamed
/// the origin's headers ("no response headers within 30 s"); now a lookup is part of the connect and ends with it.
/// </summary>
public sealed class OriginDnsOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);
    private const string DeadName = "origin.example.test";

    private readonly StartedServers _servers = new();
    private UdpClient _dns = null!;
    private int _queries;
    private WireMockOrigin _origin = null!;
    private GatewayProcess _gateway = null!;

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        // A DNS server that reads every query and answers none, on a loopback address of its own (port 53: resolv.conf names no port).
        var address = new IPAddress([127, 53, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);
        _dns = new UdpClient(new IPEndPoint(address, 53));
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await _dns.ReceiveAsync();
                    Interlocked.Increment(ref _queries);
                }
            }
            catch (ObjectDisposedException)
            {
            }
            catch (SocketException)
            {
            }
        });
        var resolvConf = Path.Combine(TestPaths.NewTempDirectory("og-resolv"), "resolv.conf");
        await File.WriteAllTextAsync(resolvConf, $"nameserver {address}\noptions timeout:5 attempts:3\n");

        _origin = _servers.Add(WireMockOrigin.Start());
        _origin.Serve("/dns/standby.txt", "from the standby"u8.ToArray(), "text/plain");
        _origin.Serve("/dnsp/standby.txt", "proxied from the standby"u8.ToArray(), "text/plain");
        _gateway = await _servers.AddAsync(GatewayProcess.StartAsync(
            ["--Egress:AllowedNetworks:0=127.0.0.1/32", $"--OriginPull:ConnectTimeout={ConnectTimeout:c}"], resolvConf: resolvConf));
        var named = $"{DeadName}:{_origin.Port}";
        var rules = OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Mirror", "dns/", named, standbys: [_origin.Host]),
            OriginPullFixture.Rule(2, "Proxy", "dnsp/", named, standbys: [_origin.Host]),
            OriginPullFixture.Rule(3, "Mirror", "dnsonly/", named));
        var put = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        var stored = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, "stored.txt")) { Content = new StringContent("already here") }.Sign());
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
    });

    public async Task DisposeAsync()
    {
        _dns?.Dispose();
        await _servers.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string Body, TimeSpan Took)> GetAsync(string key)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, key));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, Stopwatch.GetElapsedTime(started));
    }

    [Fact]
    public async Task AMissWhoseOriginsNameCannotBeResolved_FailsAtTheConnectTimeout_NamingIt_WhileHitsAreServed()
    {
        var miss = GetAsync($"dnsonly/{Guid.NewGuid():N}.txt");
        var hit = await GetAsync("stored.txt");
        var (status, body, took) = await miss;

        // The lookup was really asked of the silent server, and given up with the connect, not after glibc's 15 s.
        Assert.True(Volatile.Read(ref _queries) > 0, "the gateway never asked the DNS server");
        Assert.Equal(HttpStatusCode.FailedDependency, status);
        Assert.Contains("<Code>OriginPullFailed</Code>", body, StringComparison.Ordinal);
        Assert.Contains("OriginTimeout", body, StringComparison.Ordinal);
        Assert.True(took < TimeSpan.FromSeconds(6), $"the miss took {took.TotalSeconds:0.0} s with a connect timeout of {ConnectTimeout.TotalSeconds} s");
        Assert.True(await _gateway.WaitForOutputAsync($"Origin {DeadName}:{_origin.Port} failed: no connection within 1 s (its name's lookup included)", TimeSpan.FromSeconds(5)),
            _gateway.Output);
        Assert.DoesNotContain("no response headers", _gateway.Output, StringComparison.Ordinal);
        // Stored objects do not need the resolver.
        Assert.Equal((HttpStatusCode.OK, "already here"), (hit.Status, hit.Body));
    }

    [Theory]
    [InlineData("dns/standby.txt", "from the standby")]
    [InlineData("dnsp/standby.txt", "proxied from the standby")]
    public async Task AMirrorOrProxyWhosePrimaryNameCannotBeResolved_FailsOverToItsStandby_AfterOneConnectTimeout(string key, string expected)
    {
        var (status, body, took) = await GetAsync(key);

        Assert.Equal((HttpStatusCode.OK, expected), (status, body));
        Assert.True(took < TimeSpan.FromSeconds(6), $"the failover took {took.TotalSeconds:0.0} s with a connect timeout of {ConnectTimeout.TotalSeconds} s");
        Assert.Contains(_origin.Server.LogEntries, e => e.RequestMessage.Path == "/" + key);
    }
}
