using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Observability;

/// <summary>
/// The sample alerting rules (<c>samples/prometheus/alerts.yml</c>) as an operator uses them: checked and unit-tested by
/// promtool, then loaded by a real Prometheus that scrapes a real gateway — quiet while it is healthy, firing when an
/// origin fails, fetch tasks hit the egress guard and the gateway goes away.
/// </summary>
public sealed partial class AlertRulesTests
{
    private static readonly string Samples = Path.Combine(TestPaths.RepositoryRoot, "samples", "prometheus");

    [Fact]
    public async Task SampleRules_PassPromtoolsChecks_AndTheirOwnUnitTests()
    {
        var promtool = ExternalTool.Require("promtool", "prometheus");
        var (exit, stdout, stderr) = await ExternalTool.RunAsync(promtool, ["check", "rules", "samples/prometheus/alerts.yml"], workingDirectory: TestPaths.RepositoryRoot);
        Assert.True(exit == 0, $"promtool check rules ({exit}):\n{stdout}\n{stderr}");
        Assert.Contains("SUCCESS: 11 rules found", stdout, StringComparison.Ordinal);

        // The README's commands, literally, from the repository root: the configuration finds the rule file, and the
        // rules pass their unit tests.
        (exit, stdout, stderr) = await ExternalTool.RunAsync("/bin/bash", ["-euo", "pipefail", "-c", Readme.Block("alerts").Text], workingDirectory: TestPaths.RepositoryRoot);
        Assert.True(exit == 0, $"README block 'alerts' ({exit}):\n{stdout}\n{stderr}");
        Assert.Contains("SUCCESS: 1 rule files found", stdout, StringComparison.Ordinal);
        Assert.Contains("samples/prometheus/alerts-test.yml", stdout, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s*SUCCESS\s*$", stdout);
    }

    [Fact]
    public async Task RealPrometheus_WithTheSampleRules_IsQuietWhileHealthy_ThenFiresForAFailingOriginDeniedTasksAndAGatewayThatIsGone()
    {
        var prometheus = ExternalTool.Require("prometheus", "prometheus");
        await using var origin = WireMockOrigin.Start();
        var gateway = await GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32"]);
        try
        {
            var closed = $"127.0.0.1:{TestPorts.Free()}";
            var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host), OriginPullFixture.Rule(2, "Mirror", "down/", closed));
            Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
            var body = Encoding.UTF8.GetBytes("alerting body");
            origin.Serve("/m/a.txt", body, "text/plain");
            origin.Serve("/task/a.txt", body, "text/plain");
            var tasks = new FetchTaskClient(gateway);

            async Task HealthyTrafficAsync()
            {
                Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "hit.txt")) { Content = new ByteArrayContent(body) }.Sign())).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "hit.txt"))).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "m/a.txt"))).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "none/a.txt"))).StatusCode);
            }
            await HealthyTrafficAsync();
            Assert.Equal("TASK_SUCCESS", (await tasks.WaitAsync((await tasks.SubmitAsync(new { Url = $"http://{origin.Host}/task/a.txt", Key = "task/a.txt" })).TaskId)).State);

            // The sample configuration and rules as shipped, faster: every second, and each alert's `for` at 0 so that a
            // condition fires at the next evaluation.
            var directory = TestPaths.NewTempDirectory("og-alerts");
            var config = (await File.ReadAllTextAsync(Path.Combine(Samples, "prometheus.yml")))
                .Replace("127.0.0.1:8081", gateway.ControlUrl.Authority, StringComparison.Ordinal)
                .Replace("scrape_interval: 5s", "scrape_interval: 1s", StringComparison.Ordinal)
                .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal);
            Assert.Contains("  - alerts.yml", config, StringComparison.Ordinal);
            var alertRules = await File.ReadAllTextAsync(Path.Combine(Samples, "alerts.yml"));
            await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), config);
            await File.WriteAllTextAsync(Path.Combine(directory, "alerts.yml"), ForDuration().Replace(alertRules, "for: 0s"));
            var port = TestPorts.Free();
            var start = new ProcessStartInfo(prometheus);
            foreach (var argument in new[] { $"--config.file={Path.Combine(directory, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
            {
                start.ArgumentList.Add(argument);
            }
            var server = ChildProcess.Start(start);
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/v1/") };
                async Task<JsonElement> ApiAsync(string path)
                {
                    using var answer = JsonDocument.Parse(await client.GetStringAsync(new Uri(path, UriKind.Relative)));
                    Assert.Equal("success", answer.RootElement.GetProperty("status").GetString());
                    return answer.RootElement.GetProperty("data").Clone();
                }

                // Quiet while healthy: once the gateway's series are in and every rule has been evaluated twice since.
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (true)
                {
                    Assert.True(DateTime.UtcNow < deadline, "Prometheus never scraped the gateway:\n" + server.Output);
                    await Task.Delay(500);
                    await HealthyTrafficAsync();
                    try
                    {
                        if ((await ApiAsync("query?query=" + Uri.EscapeDataString("origin_gateway_requests_total"))).GetProperty("result").GetArrayLength() > 0)
                        {
                            break;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // Not listening yet.
                    }
                }
                var scraped = DateTimeOffset.UtcNow;
                JsonElement[] ruleStates;
                do
                {
                    Assert.True(DateTime.UtcNow < deadline, "the rules were not evaluated:\n" + server.Output);
                    await Task.Delay(500);
                    await HealthyTrafficAsync();
                    ruleStates = [.. (await ApiAsync("rules")).GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray())];
                }
                while (ruleStates.Any(r => DateTimeOffset.Parse(r.GetProperty("lastEvaluation").GetString()!, CultureInfo.InvariantCulture) < scraped.AddSeconds(2)));
                Assert.Equal(11, ruleStates.Length);
                Assert.All(ruleStates, r => Assert.True(r.GetProperty("health").GetString() == "ok", $"{r.GetProperty("name")}: {r}"));
                var quiet = await ApiAsync("alerts");
                Assert.True(quiet.GetProperty("alerts").GetArrayLength() == 0, "alerts while the gateway is healthy: " + quiet);

                // An origin that refuses every connection (its Mirror misses are 424) and fetch tasks aimed at an address the
                // egress guard denies: each counted series appears at its first event, so the failures go on until they fire.
                string[] expected = ["OriginGatewayOriginFailing", "OriginGatewayOriginPullsFailing", "OriginGatewayTasksFailing", "OriginGatewayEgressDenied"];
                string[] firing = [];
                deadline = DateTime.UtcNow.AddSeconds(90);
                for (var round = 0; !expected.All(firing.Contains); round++)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"firing: {string.Join(", ", firing)}; expected {string.Join(", ", expected)}:\n{await ApiAsync("alerts")}\n{server.Output}");
                    Assert.Equal((HttpStatusCode)424, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, $"down/{round}.txt"))).StatusCode);
                    Assert.Equal(HttpStatusCode.OK, (await tasks.SubmitAsync(new { Url = $"http://127.0.0.2:{origin.Port}/task/{round}", Key = $"denied/{round}" })).Status);
                    await Task.Delay(1000);
                    firing = [.. Firing(await ApiAsync("alerts")).Select(a => a.GetProperty("labels").GetProperty("alertname").GetString()!)];
                }
                var alerts = Firing(await ApiAsync("alerts"));
                Assert.Equal(closed, Single(alerts, "OriginGatewayOriginFailing").GetProperty("labels").GetProperty("host").GetString());
                Assert.Equal(GatewayProcess.DefaultBucket, Single(alerts, "OriginGatewayOriginPullsFailing").GetProperty("labels").GetProperty("bucket").GetString());
                Assert.Equal("fetch", Single(alerts, "OriginGatewayTasksFailing").GetProperty("labels").GetProperty("kind").GetString());
                Assert.Equal("warning", Single(alerts, "OriginGatewayOriginFailing").GetProperty("labels").GetProperty("severity").GetString());
                Assert.Equal($"Origin {closed} fails 100% of the requests {gateway.ControlUrl.Authority} sends it",
                    Single(alerts, "OriginGatewayOriginFailing").GetProperty("annotations").GetProperty("summary").GetString());
                // What did not break stays quiet: the store, the database, Redis-less claims, callbacks, sync passes, 5xx.
                Assert.Equal([.. expected.Order(StringComparer.Ordinal)], alerts.Select(a => a.GetProperty("labels").GetProperty("alertname").GetString()!).Distinct().Order(StringComparer.Ordinal));

                // Every series a rule selects exists (the exact label values it names: a misspelt metric or outcome would make
                // its alert silent for ever). A selector's regular-expression matchers are left out of the check.
                var expressions = string.Join('\n', ExpressionLines(alertRules));
                var selectors = Selector().Matches(expressions).Select(m => m.Groups["name"].Value + "{" + string.Join(',', ExactMatcher().Matches(m.Groups["labels"].Value).Select(x => x.Value)) + "}").Distinct().ToArray();
                Assert.True(selectors.Length >= 10, string.Join('\n', selectors));
                foreach (var selector in selectors)
                {
                    var series = await ApiAsync("series?match[]=" + Uri.EscapeDataString(selector));
                    Assert.True(series.GetArrayLength() > 0, $"no series matches {selector}, which alerts.yml selects");
                }

                // The gateway goes away: it is down at the next failed scrape.
                await gateway.StopAsync();
                deadline = DateTime.UtcNow.AddSeconds(30);
                while (!Firing(await ApiAsync("alerts")).Any(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "OriginGatewayDown"))
                {
                    Assert.True(DateTime.UtcNow < deadline, "OriginGatewayDown never fired:\n" + await ApiAsync("alerts"));
                    await Task.Delay(500);
                }
                var down = Single(Firing(await ApiAsync("alerts")), "OriginGatewayDown");
                Assert.Equal("critical", down.GetProperty("labels").GetProperty("severity").GetString());
                Assert.Equal(gateway.ControlUrl.Authority, down.GetProperty("labels").GetProperty("instance").GetString());
            }
            finally
            {
                await server.DisposeAsync();
                Directory.Delete(directory, recursive: true);
            }
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    /// <summary>The lines of the rules' <c>expr</c> fields (annotations name metrics too, which no rule selects).</summary>
    private static IEnumerable<string> ExpressionLines(string rules)
    {
        var inExpression = false;
        foreach (var line in rules.Split('\n').Select(l => l.Trim()))
        {
            inExpression = line.StartsWith("expr:", StringComparison.Ordinal) || (inExpression && !line.StartsWith("for:", StringComparison.Ordinal) && !line.StartsWith("labels:", StringComparison.Ordinal));
            if (inExpression)
            {
                yield return line;
            }
        }
    }

    private static JsonElement[] Firing(JsonElement alerts) =>
        [.. alerts.GetProperty("alerts").EnumerateArray().Where(a => a.GetProperty("state").GetString() == "firing")];

    private static JsonElement Single(JsonElement[] alerts, string name) =>
        Assert.Single(alerts, a => a.GetProperty("labels").GetProperty("alertname").GetString() == name);

    [GeneratedRegex(@"for: \d+[smh]")]
    private static partial Regex ForDuration();

    /// <summary>A metric selector in a rule's expression: <c>up{…}</c> or <c>origin_gateway_…</c>, with its matchers.</summary>
    [GeneratedRegex(@"\b(?<name>up|origin_gateway_[a-z_]+)(\{(?<labels>[^}]*)\})?")]
    private static partial Regex Selector();

    [GeneratedRegex("[a-z_]+=\"[^\"]*\"")]
    private static partial Regex ExactMatcher();
}
