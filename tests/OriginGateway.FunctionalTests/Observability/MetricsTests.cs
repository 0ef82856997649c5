using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Observability;

/// <summary><c>/metrics</c> after traffic of every action: valid for promtool, scraped by a real Prometheus.</summary>
public sealed class MetricsTests
{
    private static async Task<(GatewayProcess Gateway, WireMockOrigin Origin)> StartWithTrafficAsync(params string[] arguments)
    {
        var origin = WireMockOrigin.Start();
        var gateway = await GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32", .. arguments]);
        var rules = OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host),
            OriginPullFixture.Rule(2, "Proxy", "p/", origin.Host),
            OriginPullFixture.Rule(3, "Redirect", "r/", origin.Host),
            OriginPullFixture.Rule(4, "Mirror", "fo/", "127.0.0.1:1", standbys: [origin.Host]));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);

        var body = Encoding.UTF8.GetBytes("metrics body");
        foreach (var path in new[] { "/m/a.txt", "/p/a.txt", "/fo/a.txt", "/task/a.txt" })
        {
            origin.Serve(path, body, "text/plain");
        }
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "hit.txt")) { Content = new ByteArrayContent(body) }.Sign())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "hit.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "m/a.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "p/a.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.Found, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "r/a.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "fo/a.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "none/a.txt"))).StatusCode);
        var tasks = new FetchTaskClient(gateway);
        var submitted = await tasks.SubmitAsync(new { Url = $"http://{origin.Host}/task/a.txt", Key = "task/a.txt" });
        Assert.Equal("TASK_SUCCESS", (await tasks.WaitAsync(submitted.TaskId)).State);
        return (gateway, origin);
    }

    private static async Task<string> ScrapeAsync(GatewayProcess gateway)
    {
        var response = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Scrape_AfterEveryAction_PassesPromtool_WithoutFindingsForTheGatewaysOwnMetrics()
    {
        var promtool = ExternalTool.Require("promtool", "prometheus");
        var (gateway, origin) = await StartWithTrafficAsync();
        await using var _ = gateway;
        await using var __ = origin;

        var text = await ScrapeAsync(gateway);
        var (exit, stdout, stderr) = await ExternalTool.RunAsync(promtool, ["check", "metrics"], text);

        var findings = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(findings, f => f.Contains("origin_gateway", StringComparison.Ordinal));
        Assert.True(exit is 0 or 3, $"promtool check metrics failed ({exit}):\n{stdout}\n{stderr}\n{text}");
        Assert.DoesNotContain(findings, f => f.Contains("error", StringComparison.OrdinalIgnoreCase));

        foreach (var action in new[] { "hit", "mirror", "proxy", "redirect", "miss" })
        {
            Assert.Contains($"origin_gateway_requests_total{{action=\"{action}\",bucket=\"examplebucket-1250000000\",status=", text, StringComparison.Ordinal);
        }
        foreach (var family in new[]
        {
            "origin_gateway_request_duration_seconds_bucket{action=\"hit\",le=\"0.0005\"}",
            $"origin_gateway_origin_requests_total{{host=\"{origin.Host}\",outcome=\"ok\"}}",
            "origin_gateway_origin_fetch_duration_seconds_count",
            "origin_gateway_origin_failovers_total{host=\"127.0.0.1:1\"} 1",
            "origin_gateway_served_bytes_total{source=\"store\"}",
            "origin_gateway_served_bytes_total{source=\"origin\"}",
            "origin_gateway_stored_bytes_total{bucket=\"examplebucket-1250000000\"}",
            "origin_gateway_tasks{kind=\"fetch\",state=\"succeeded\"} 1",
            "origin_gateway_task_duration_seconds_count{kind=\"fetch\",outcome=\"succeeded\"} 1",
            "# TYPE origin_gateway_egress_denials_total counter",
            "# TYPE origin_gateway_commits_rejected_total counter",
            "# TYPE origin_gateway_fills_coalesced_total counter",
            // The framework's default meters, through prometheus-net's meter adapter (meter name + instrument name).
            "microsoft_aspnetcore_server_kestrel_kestrel_active_connections",
            "system_runtime_dotnet_gc_collections",
            // prometheus-net's process and runtime families.
            "process_cpu_seconds_total",
            "dotnet_collection_count_total",
        })
        {
            Assert.Contains(family, text, StringComparison.Ordinal);
        }
        // The hit read a small body, which the hot-object cache now keeps: its gauges say how much.
        double Gauge(string name) => double.Parse(text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Gauge("origin_gateway_hot_cache_bytes") >= "metrics body".Length, text);
        Assert.True(Gauge("origin_gateway_hot_cache_objects") >= 1, text);
        // ASP.NET Core's request meter is not listened to by default (it repeats origin_gateway_request_duration_seconds).
        Assert.DoesNotContain("microsoft_aspnetcore_hosting_", text, StringComparison.Ordinal);
        // Keys never become label values.
        Assert.DoesNotContain("a.txt", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hit.txt", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealPrometheus_WithTheSampleConfiguration_ScrapesTheGateway()
    {
        var prometheus = ExternalTool.Require("prometheus", "prometheus");
        // With ASP.NET Core's request meter added to the defaults, as a dashboard that wants it would configure.
        var (gateway, origin) = await StartWithTrafficAsync(
            "--Metrics:FrameworkMeters:0=Microsoft.AspNetCore.Hosting", "--Metrics:FrameworkMeters:1=Microsoft.AspNetCore.Server.Kestrel", "--Metrics:FrameworkMeters:2=System.Runtime");
        await using var _ = gateway;
        await using var __ = origin;
        var directory = TestPaths.NewTempDirectory("og-prometheus");
        var sample = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepositoryRoot, "samples", "prometheus", "prometheus.yml"));
        Assert.Contains("127.0.0.1:8081", sample, StringComparison.Ordinal);
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, sample.Replace("127.0.0.1:8081", gateway.ControlUrl.Authority, StringComparison.Ordinal).Replace("scrape_interval: 5s", "scrape_interval: 1s", StringComparison.Ordinal));
        var port = TestPorts.Free();
        var start = new ProcessStartInfo(prometheus);
        foreach (var argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }
        var server = ChildProcess.Start(start);
        try
        {
            using var client = new HttpClient();
            var query = new Uri($"http://127.0.0.1:{port}/api/v1/query?query=" + Uri.EscapeDataString("sum(origin_gateway_requests_total{action=\"redirect\"})"));
            string? value = null;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (value is null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                try
                {
                    using var answer = JsonDocument.Parse(await client.GetStringAsync(query));
                    var result = answer.RootElement.GetProperty("data").GetProperty("result");
                    value = result.GetArrayLength() > 0 ? result[0].GetProperty("value")[1].GetString() : null;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
            }
            Assert.True(value is not null, "Prometheus never had the gateway's metric:\n" + server.Output);
            Assert.Equal("1", value);
            var hosting = new Uri($"http://127.0.0.1:{port}/api/v1/query?query=" + Uri.EscapeDataString("count(microsoft_aspnetcore_hosting_http_server_request_duration_bucket)"));
            using (var answer = JsonDocument.Parse(await client.GetStringAsync(hosting)))
            {
                Assert.True(answer.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() > 0, "the opted-in ASP.NET Core request meter was not scraped");
            }
            using var targets = JsonDocument.Parse(await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/v1/targets")));
            Assert.Equal("up", targets.RootElement.GetProperty("data").GetProperty("activeTargets")[0].GetProperty("health").GetString());
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
