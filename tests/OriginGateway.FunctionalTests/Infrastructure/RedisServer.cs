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

    private RedisServer(int port, string[] arguments)
    {
        Port = port;
        _arguments = arguments;
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

    public async Task StartAgainAsync()
    {
        var executable = ExternalTool.Require("redis-server", "apt-get install redis-server (./test.sh installs it)");
        var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" }.Concat(_arguments))
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
