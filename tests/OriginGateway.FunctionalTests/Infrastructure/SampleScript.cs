using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A sample's start script run as a newcomer runs it, and a README block run against it: the script
/// is started with its ports in the environment, the block's commands run once the script says it is
/// ready, and SIGTERM must stop everything it started (every port closed).
/// </summary>
internal static class SampleScript
{
    /// <summary>The bash block of README.md between <c>&lt;!-- name:begin --&gt;</c> and <c>&lt;!-- name:end --&gt;</c>.</summary>
    public static async Task<string> ReadmeBlockAsync(string name)
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        var block = Regex.Match(readme, $@"<!-- {name}:begin -->\s*```bash\n(.*?)```\s*<!-- {name}:end -->", RegexOptions.Singleline);
        Assert.True(block.Success, $"README.md has no block between <!-- {name}:begin --> and <!-- {name}:end -->");
        return block.Groups[1].Value;
    }

    /// <summary>
    /// Starts <paramref name="script"/>, waits for a line starting with <paramref name="readyLine"/>, runs
    /// <paramref name="commands"/> with bash -euo pipefail from the repository root and returns their
    /// output; then stops the script with SIGTERM and checks <paramref name="ports"/> are all closed.
    /// </summary>
    public static async Task<string> RunAsync(string script, IReadOnlyDictionary<string, string> environment, string readyLine, string commands, IEnumerable<int> ports, TimeSpan readyWithin)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = TestPaths.RepositoryRoot };
        start.ArgumentList.Add(script);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var ready = new TaskCompletionSource();
        var runner = ChildProcess.Start(start, line =>
        {
            if (line.StartsWith(readyLine, StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        });
        string output;
        try
        {
            await ready.Task.WaitAsync(readyWithin);
            var (exit, stdout, stderr) = await ExternalTool.RunAsync("/bin/bash", ["-euo", "pipefail", "-c", $"cd {TestPaths.RepositoryRoot}\n{commands}"]);
            Assert.True(exit == 0, $"the README commands failed ({exit}):\n{stdout}\n{stderr}\n{runner.Output}");
            output = stdout.Replace("\r", "", StringComparison.Ordinal);
        }
        finally
        {
            // The script stops everything it started on SIGTERM.
            using (var kill = Process.Start("kill", ["-TERM", runner.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await runner.Process.WaitForExitAsync(timeout.Token);
            await runner.DisposeAsync();
        }
        foreach (var port in ports)
        {
            Assert.False(await IsListeningAsync(port), $"port {port} still answers after {script} stopped");
        }
        return output;
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        for (var i = 0; i < 20; i++)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
            }
            catch (SocketException)
            {
                return false;
            }
            await Task.Delay(250);
        }
        return true;
    }
}
