using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// The sample scripts when something is wrong: a port already taken is refused in one line before
/// anything starts, and a process that cannot start is named with the end of its log — never "Ready".
/// </summary>
public sealed class SampleScriptTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static async Task<(int Exit, string Stdout, string Stderr)> RunScriptAsync(string script, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = TestPaths.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A free port whose successor is free too (a replica's data and control ports).</summary>
    private static int PortPair()
    {
        while (true)
        {
            var port = TestPorts.Free();
            try
            {
                using var next = new TcpListener(IPAddress.Loopback, port + 1);
                next.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: another.
            }
        }
    }

    /// <summary>The script failed before it was ready, with exactly one line on standard error: that line.</summary>
    private static string RefusedInOneLine(int exit, string stdout, string stderr)
    {
        Assert.Equal(1, exit);
        Assert.DoesNotContain("Ready", stdout, StringComparison.Ordinal);
        return Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task WireMockSample_RefusesATakenPort_InOneLine_BeforeStartingAnything()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (healthy, failing, control) = (TestPorts.Free(), TestPorts.Free(), TestPorts.Free());

        var (exit, stdout, stderr) = await RunScriptAsync("samples/wiremock/run.sh", new()
        {
            ["OG_DATA_PORT"] = Port(takenPort),
            ["OG_CONTROL_PORT"] = Port(control),
            ["OG_HEALTHY_PORT"] = Port(healthy),
            ["OG_FAILING_PORT"] = Port(failing),
        });

        var line = RefusedInOneLine(exit, stdout, stderr);
        Assert.Contains($"port {takenPort}", line, StringComparison.Ordinal);
        Assert.Contains("OG_DATA_PORT", line, StringComparison.Ordinal);
        Assert.False(await AnswersAsync(healthy), "a WireMock origin was started although the script refused to run");
    }

    [Fact]
    public async Task WireMockSample_AGatewayThatCannotStart_IsNamed_WithTheEndOfItsLog_AndTheOriginsStop()
    {
        var (data, control, healthy, failing) = (TestPorts.Free(), TestPorts.Free(), TestPorts.Free(), TestPorts.Free());

        var (exit, stdout, stderr) = await RunScriptAsync("samples/wiremock/run.sh", new()
        {
            ["OG_DATA_PORT"] = Port(data),
            ["OG_CONTROL_PORT"] = Port(control),
            ["OG_HEALTHY_PORT"] = Port(healthy),
            ["OG_FAILING_PORT"] = Port(failing),
            ["OG_GATEWAY"] = $"dotnet {TestPaths.GatewayDll}",
            // A setting the gateway refuses at start-up (exit code 2).
            ["Buckets__0__PublicRead"] = "maybe",
        });

        Assert.Equal(1, exit);
        Assert.DoesNotContain("Ready", stdout, StringComparison.Ordinal);
        Assert.Contains("the gateway exited before it was ready", stderr, StringComparison.Ordinal);
        Assert.Contains("last lines of gateway.log", stderr, StringComparison.Ordinal);
        Assert.Contains("Invalid configuration", stderr, StringComparison.Ordinal);
        Assert.False(await AnswersAsync(healthy), "the healthy origin still runs after the script failed");
        Assert.False(await AnswersAsync(failing), "the failing origin still runs after the script failed");
    }

    [Fact]
    public async Task MultiReplicaSample_RefusesATakenPort_InOneLine_BeforeStartingAnything()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (postgres, s3) = (TestPorts.Free(), TestPorts.Free());

        var (exit, stdout, stderr) = await RunScriptAsync("samples/multi-replica/run.sh", new()
        {
            ["OG_A_PORT"] = Port(PortPair()),
            ["OG_B_PORT"] = Port(PortPair()),
            ["OG_PG_PORT"] = Port(postgres),
            ["OG_REDIS_PORT"] = Port(takenPort),
            ["OG_S3_PORT"] = Port(s3),
            ["OG_GATEWAY_DLL"] = TestPaths.GatewayDll,
        });

        var line = RefusedInOneLine(exit, stdout, stderr);
        Assert.Contains($"port {takenPort} (Redis)", line, StringComparison.Ordinal);
        Assert.Contains("OG_REDIS_PORT", line, StringComparison.Ordinal);
        Assert.False(await AnswersAsync(postgres), "PostgreSQL was started although the script refused to run");
    }
}
