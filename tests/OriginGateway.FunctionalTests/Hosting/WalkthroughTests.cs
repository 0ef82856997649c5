using System.Text.RegularExpressions;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// The README's WireMock walkthrough, as a newcomer runs it: <c>samples/wiremock/run.sh</c> starts two
/// WireMock origins and the gateway, then the README's commands run as written (only the ports and
/// the way the built gateway is started differ).
/// </summary>
public sealed class WalkthroughTests
{
    [Fact]
    public async Task ReadmeWalkthrough_RedirectProxyMirrorFailoverTaskAndMetrics()
    {
        NodeScript.RequirePackage("wiremock");
        ExternalTool.Require("java", "openjdk-17-jre-headless");
        var (data, control, healthy, failing) = (TestPorts.Free(), TestPorts.Free(), TestPorts.Free(), TestPorts.Free());
        var gatewayCommand = $"dotnet {TestPaths.GatewayDll}";
        var commands = (await SampleScript.ReadmeBlockAsync("walkthrough"))
            .Replace("127.0.0.1:8080", $"127.0.0.1:{data}", StringComparison.Ordinal)
            .Replace("127.0.0.1:8081", $"127.0.0.1:{control}", StringComparison.Ordinal)
            .Replace("127.0.0.1:9001", $"127.0.0.1:{healthy}", StringComparison.Ordinal)
            .Replace("127.0.0.1:9002", $"127.0.0.1:{failing}", StringComparison.Ordinal)
            .Replace("dotnet run --project src/OriginGateway --", gatewayCommand, StringComparison.Ordinal);
        var environment = new Dictionary<string, string>
        {
            ["OG_DATA_PORT"] = data.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OG_CONTROL_PORT"] = control.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OG_HEALTHY_PORT"] = healthy.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OG_FAILING_PORT"] = failing.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OG_GATEWAY"] = gatewayCommand,
        };

        var output = await SampleScript.RunAsync("samples/wiremock/run.sh", environment, "Ready:", commands, [data, control, healthy, failing], TimeSpan.FromSeconds(90));

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
}
