using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// The README's WireMock walkthrough, as a newcomer runs it: <c>samples/wiremock/run.sh</c> starts two
/// WireMock origins and the gateway, then the README's commands run as written (only the ports and
/// the way the built gateway is started differ).
/// </summary>
public sealed partial class WalkthroughTests
{
    [Fact]
    public async Task ReadmeWalkthrough_RedirectProxyMirrorFailoverTaskAndMetrics()
    {
        NodeScript.RequirePackage("wiremock");
        ExternalTool.Require("java", "openjdk-17-jre-headless");
        var readme = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        var block = WalkthroughBlock().Match(readme);
        Assert.True(block.Success, "README.md has no walkthrough block between <!-- walkthrough:begin --> and <!-- walkthrough:end -->");
        var (data, control, healthy, failing) = (TestPorts.Free(), TestPorts.Free(), TestPorts.Free(), TestPorts.Free());
        var gatewayCommand = $"dotnet {TestPaths.GatewayDll}";

        var start = new ProcessStartInfo("bash") { WorkingDirectory = TestPaths.RepositoryRoot };
        start.ArgumentList.Add("samples/wiremock/run.sh");
        start.Environment["OG_DATA_PORT"] = data.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OG_CONTROL_PORT"] = control.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OG_HEALTHY_PORT"] = healthy.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OG_FAILING_PORT"] = failing.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OG_GATEWAY"] = gatewayCommand;
        var ready = new TaskCompletionSource();
        var runner = ChildProcess.Start(start, line =>
        {
            if (line.StartsWith("Ready:", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        });
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));

            var commands = block.Groups[1].Value
                .Replace("127.0.0.1:8080", $"127.0.0.1:{data}", StringComparison.Ordinal)
                .Replace("127.0.0.1:8081", $"127.0.0.1:{control}", StringComparison.Ordinal)
                .Replace("127.0.0.1:9001", $"127.0.0.1:{healthy}", StringComparison.Ordinal)
                .Replace("127.0.0.1:9002", $"127.0.0.1:{failing}", StringComparison.Ordinal)
                .Replace("dotnet run --project src/OriginGateway --", gatewayCommand, StringComparison.Ordinal);
            var (exit, stdout, stderr) = await ExternalTool.RunAsync("/bin/bash", ["-euo", "pipefail", "-c", $"cd {TestPaths.RepositoryRoot}\n{commands}"]);
            Assert.True(exit == 0, $"the walkthrough failed ({exit}):\n{stdout}\n{stderr}\n{runner.Output}");

            var output = stdout.Replace("\r", "", StringComparison.Ordinal);
            Assert.Matches(@"(?im)^HTTP/1\.1 301", output);
            Assert.Contains("location: https://old-site.example.com/legacy/about.html", output, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("\"status\":\"live\"", output, StringComparison.Ordinal);
            var actions = Regex.Matches(output, @"(?im)^x-origin-action: (\w+)").Select(m => m.Groups[1].Value).ToList();
            Assert.Contains("redirect", actions);
            Assert.Equal(["mirror", "hit"], actions.Where(a => a is "mirror" or "hit").Take(2));
            Assert.Contains("month,visits", output, StringComparison.Ordinal);
            Assert.Contains("TASK_SUCCESS", output, StringComparison.Ordinal);
            Assert.Contains("An archive the fetch task pulls into the bucket.", output, StringComparison.Ordinal);
            Assert.Matches("origin_gateway_requests_total\\{action=\"mirror\",bucket=\"examplebucket-1250000000\",status=\"200\"\\} [1-9]", output);
            Assert.Matches("origin_gateway_origin_failovers_total\\{host=\"127\\.0\\.0\\.1:[0-9]+\"\\} 1", output);
        }
        finally
        {
            // run.sh stops its origins and the gateway on SIGTERM.
            using (var kill = Process.Start("kill", ["-TERM", runner.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await runner.Process.WaitForExitAsync(timeout.Token);
            await runner.DisposeAsync();
        }
        foreach (var port in new[] { data, control, healthy, failing })
        {
            Assert.False(await IsListeningAsync(port), $"port {port} still answers after run.sh stopped");
        }
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

    [GeneratedRegex(@"<!-- walkthrough:begin -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", RegexOptions.Singleline)]
    private static partial Regex WalkthroughBlock();
}
