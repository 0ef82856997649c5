using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Observability;

/// <summary>
/// What an origin-pull decision reports (log event 3201, <c>/admin/api/decisions</c>) is what happened:
/// the host that answered after a failover, and the body bytes the client actually got — also when the
/// origin sent no Content-Length.
/// </summary>
public sealed class DecisionTests
{
    [Fact]
    public async Task Decisions_NameTheHostThatAnswered_AndTheBytesSent_AfterFailover_AndForAnUnframedProxy()
    {
        await using var failing = WireMockOrigin.Start();
        await using var standby = WireMockOrigin.Start();
        failing.Status("/f/report.csv", 503, "down for maintenance");
        var report = Encoding.UTF8.GetBytes("month,visits\n2026-11,1200\n");
        standby.Serve("/f/report.csv", report, "text/csv");
        var live = Encoding.UTF8.GetBytes(new string('x', 70_000));
        // No Content-Length: the answer is chunked, its size known only by counting (framing WireMock does not vary: a handler of its own).
        await using var chunked = await SlowOrigin.StartAsync();
        chunked.On("/p/live.txt", async context =>
        {
            context.Response.ContentType = "text/plain";
            await context.Response.Body.WriteAsync(live.AsMemory(0, 30_000));
            await context.Response.Body.FlushAsync();
            await context.Response.Body.WriteAsync(live.AsMemory(30_000));
        });
        await using var gateway = await GatewayProcess.StartAsync(
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            "--Logging:Console:FormatterName=json",
            "--Logging:LogLevel:OriginGateway=Information",
        ]);
        var rules = OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Mirror", "f/", failing.Host, standbys: [standby.Host]),
            OriginPullFixture.Rule(2, "Proxy", "p/", chunked.Host));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);

        var mirrored = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "f/report.csv"));
        Assert.Equal(HttpStatusCode.OK, mirrored.StatusCode);
        Assert.Equal(report, await mirrored.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, failing.Count("/f/report.csv"));
        var proxied = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "p/live.txt"));
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Equal(live.Length, (await proxied.Content.ReadAsByteArrayAsync()).Length);

        // The admin API.
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false });
        var login = await client.PostAsJsonAsync(new Uri(gateway.ControlUrl, "admin/api/login"), new { secretId = GatewayProcess.DevSecretId, secretKey = GatewayProcess.DevSecretKey });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.ControlUrl, "admin/api/decisions"));
        request.Headers.Add("Cookie", login.Headers.GetValues("Set-Cookie").Single().Split(';')[0]);
        using var decisions = JsonDocument.Parse(await (await client.SendAsync(request)).Content.ReadAsStringAsync());
        var byKey = decisions.RootElement.GetProperty("decisions").EnumerateArray().ToDictionary(d => d.GetProperty("key").GetString()!, d => d.Clone());
        Assert.Equal(standby.Host, byKey["f/report.csv"].GetProperty("origin").GetString());
        Assert.Equal(report.Length, byKey["f/report.csv"].GetProperty("bytes").GetInt64());
        Assert.Equal("mirror", byKey["f/report.csv"].GetProperty("action").GetString());
        Assert.Equal(chunked.Host, byKey["p/live.txt"].GetProperty("origin").GetString());
        Assert.Equal(live.Length, byKey["p/live.txt"].GetProperty("bytes").GetInt64());

        // The log line of each decision says the same.
        for (var i = 0; i < 50 && System.Text.RegularExpressions.Regex.Count(gateway.Output, "\"EventId\":3201") < 2; i++)
        {
            await Task.Delay(100);
        }
        var events = gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .Where(e => e.GetProperty("EventId").GetInt32() == 3201)
            .Select(e => e.GetProperty("State"))
            .ToList();
        Assert.Contains(events, s => s.GetProperty("Action").GetString() == "mirror" && s.GetProperty("OriginHost").GetString() == standby.Host && s.GetProperty("Bytes").ToString() == report.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(events, s => s.GetProperty("Action").GetString() == "proxy" && s.GetProperty("OriginHost").GetString() == chunked.Host && s.GetProperty("Bytes").ToString() == live.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain(events, s => s.GetProperty("OriginHost").GetString() == failing.Host);
    }
}
