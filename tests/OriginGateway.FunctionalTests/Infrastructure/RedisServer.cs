using System.Diagnostics;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> (apt <c>redis-server</c>, installed by the test command) as a child
/// process on a free loopback port, nothing persisted. It can be stopped (killed by process id) and
/// started again on the same port, as an outage would.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private ChildProcess? _process;

    private readonly string[] _arguments;

    /// <summary>A configuration file the server reads first (a Sentinel's, which it also rewrites).</summary>
    private readonly string? _configurationFile;

    private RedisServer(int port, string[] arguments, string? configurationFile = null)
    {
        Port = port;
        _arguments = arguments;
        _configurationFile = configurationFile;
    }

    public int Port { get; }

    /// <summary>The gateway's <c>Coordination:Redis</c> value.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <param name="arguments">More redis-server settings, e.g. ACL users (<c>--user name on &gt;password ~* &amp;* +@all</c>).</param>
    public static async Task<RedisServer> StartAsync(params string[] arguments)
    {
        var server = new RedisServer(TestPorts.Free(), arguments);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>
    /// A redis-server that speaks only TLS on its port (<c>--port 0 --tls-port</c>), with the given
    /// server certificate, and that demands a client certificate from <paramref name="caFile"/>'s
    /// authority when <paramref name="requireClientCertificates"/>.
    /// </summary>
    public static async Task<RedisServer> StartWithTlsAsync(string certFile, string keyFile, string caFile, bool requireClientCertificates)
    {
        var port = TestPorts.Free();
        var server = new RedisServer(port,
        [
            "--port", "0", "--tls-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile,
            "--tls-auth-clients", requireClientCertificates ? "yes" : "no",
        ]);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>
    /// A Sentinel (<c>redis-server --sentinel</c>) watching <paramref name="master"/> as <c>mymaster</c>, alone in its quorum:
    /// the master is taken for down after one second without an answer and a replica promoted. The gateway's
    /// <c>Coordination:Redis</c> for it is <c>127.0.0.1:&lt;port&gt;,serviceName=mymaster</c>.
    /// </summary>
    public static async Task<RedisServer> StartSentinelAsync(RedisServer master)
    {
        var file = Path.Combine(TestPaths.NewTempDirectory("og-sentinel"), "sentinel.conf");
        await File.WriteAllLinesAsync(file,
        [
            $"sentinel monitor mymaster 127.0.0.1 {master.Port} 1",
            "sentinel down-after-milliseconds mymaster 1000",
            "sentinel failover-timeout mymaster 5000",
        ]);
        var server = new RedisServer(TestPorts.Free(), ["--sentinel"], file);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var executable = ExternalTool.Require("redis-server", "apt-get install redis-server (./test.sh installs it)");
        var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] settings = _configurationFile is null
            ? ["--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            : [_configurationFile, "--port", port, "--bind", "127.0.0.1"];
        foreach (var argument in settings.Concat(_arguments))
        {
            start.ArgumentList.Add(argument);
        }
        _process = ChildProcess.Start(start);
        await _process.WaitForPortAsync(Port, "redis-server");
    }

    /// <summary>Freezes the server (SIGSTOP to its process id): connections stay open and nothing answers, as with a hung host.</summary>
    public Task FreezeAsync() => ExternalTool.SignalAsync(Running.Id, "-STOP");

    /// <summary>Lets a frozen server run again (SIGCONT); it then answers what was sent to it meanwhile.</summary>
    public Task ThawAsync() => ExternalTool.SignalAsync(Running.Id, "-CONT");

    private Process Running => _process?.Process ?? throw new InvalidOperationException("redis-server is not running");

    /// <summary>Kills the server (its process id); the port stays reserved for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
