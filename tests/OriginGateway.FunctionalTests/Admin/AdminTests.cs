using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Admin;

/// <summary><c>/admin</c>: the page in headless Chromium through Playwright, and its API's access rules.</summary>
public sealed class AdminTests(ITestOutputHelper output)
{
    private static async Task<(GatewayProcess Gateway, WireMockOrigin Origin)> StartAsync()
    {
        var origin = WireMockOrigin.Start();
        var gateway = await GatewayProcess.StartAsync(
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            $"--Buckets:1:Name={GatewayFixture.PrivateBucket}",
            $"--Credentials:1:SecretId={GatewayFixture.LimitedSecretId}",
            $"--Credentials:1:SecretKey={GatewayFixture.LimitedSecretKey}",
            $"--Credentials:1:Buckets:0={GatewayFixture.PrivateBucket}",
        ]);
        var rules = OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host, standbys: ["127.0.0.1:1"]),
            OriginPullFixture.Rule(2, "Redirect", "r/", "cdn.example.com", status: "404", parameter: "<Protocol>HTTPS</Protocol><HttpRedirectCode>301</HttpRedirectCode>"));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
        return (gateway, origin);
    }

    [Fact]
    public async Task Browser_LogsIn_SeesRules_ExplainsAKey_WatchesATaskReach100_AndTheLatestDecisions()
    {
        NodeScript.RequirePackage("playwright-core");
        ExternalTool.Require("chromium", "chromium");
        var (gateway, origin) = await StartAsync();
        await using var _ = gateway;
        await using var __ = origin;
        origin.Serve("/m/seen.txt", Encoding.UTF8.GetBytes("mirrored for the admin page"), "text/plain");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "m/seen.txt"))).StatusCode);
        // A task the page must see part-way: its origin sends the first MiB of 3, then trickles 1 KiB every
        // 250 ms until the browser script, having seen the bar below 100 %, asks for /slow/release — a
        // cold Chromium on a busy CI machine once took longer to log in than a timed body took to finish.
        await using var slow = await SlowOrigin.StartAsync();
        var body = new byte[3 * 1024 * 1024];
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.On("/slow/release", context => { released.TrySetResult(); context.Response.StatusCode = 204; return Task.CompletedTask; });
        slow.On("/slow/big.bin", async context =>
        {
            context.Response.ContentLength = body.Length;
            var sent = 0;
            for (; sent < 1024 * 1024; sent += 64 * 1024)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(sent, 64 * 1024));
                await context.Response.Body.FlushAsync();
            }
            var holdUntil = DateTime.UtcNow.AddMinutes(2);
            while (!released.Task.IsCompleted && DateTime.UtcNow < holdUntil && sent < body.Length - 1024)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(sent, 1024));
                await context.Response.Body.FlushAsync();
                sent += 1024;
                await Task.WhenAny(released.Task, Task.Delay(250));
            }
            await context.Response.Body.WriteAsync(body.AsMemory(sent));
        });
        var tasks = new FetchTaskClient(gateway);
        var submitted = await tasks.SubmitAsync(new { Url = $"http://{slow.Host}/slow/big.bin", Key = "slow/big.bin" });
        var screenshot = Path.Combine(AppContext.BaseDirectory, "admin-ui.png");
        File.Delete(screenshot);

        var (exit, stdout, stderr) = await NodeScript.RunAsync("admin-ui-check.js",
            new Uri(gateway.ControlUrl, "admin").ToString(), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket, submitted.TaskId, "m/dir/photo.jpg", screenshot, GatewayFixture.PrivateBucket, $"http://{slow.Host}/slow/release");

        Assert.True(exit == 0, $"the browser script failed:\n{stderr}\n{stdout}\n{gateway.Output}");
        output.WriteLine("admin page screenshot: " + screenshot);
        using var result = JsonDocument.Parse(stdout);
        var root = result.RootElement;
        Assert.Contains("Wrong SecretId or SecretKey", root.GetProperty("loginError").GetString(), StringComparison.Ordinal);
        Assert.Equal(GatewayProcess.DevSecretId, root.GetProperty("who").GetString());
        Assert.Equal([GatewayProcess.DefaultBucket, GatewayFixture.PrivateBucket], root.GetProperty("buckets").EnumerateArray().Select(b => b.GetString()));
        var rules = root.GetProperty("rules").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(2, rules.Count);
        Assert.Contains("mirror", rules[0], StringComparison.Ordinal);
        Assert.Contains(origin.Host, rules[0], StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1", rules[0], StringComparison.Ordinal);
        Assert.Contains("redirect 301", rules[1], StringComparison.Ordinal);
        Assert.Equal($"Rule 1 fires: mirror → http://{origin.Host}/m/dir/photo.jpg", root.GetProperty("explain").GetString());
        var seen = root.GetProperty("progressSeen").EnumerateArray().Select(p => p.GetInt32()).ToList();
        Assert.Equal(100, seen[^1]);
        Assert.True(seen.Count >= 2 && seen[0] < 100, "the progress bar should have been seen below 100 % first: " + string.Join(", ", seen));
        Assert.True(released.Task.IsCompleted, "the browser script never released the held body");
        Assert.Equal(100, root.GetProperty("progressValue").GetInt32());
        Assert.Equal("succeeded", root.GetProperty("taskState").GetString());
        Assert.Equal(["none yet"], root.GetProperty("emptyRules").EnumerateArray().Select(r => r.GetString()!.Trim()));
        // The decision names the host that answered and the bytes the client got.
        var decision = Assert.Single(root.GetProperty("decisions").EnumerateArray().Select(d => d.GetString()!), d => d.Contains("m/seen.txt", StringComparison.Ordinal));
        Assert.Contains("mirror", decision, StringComparison.Ordinal);
        Assert.Contains(origin.Host, decision, StringComparison.Ordinal);
        Assert.Contains("27 B", decision, StringComparison.Ordinal);

        // The plots: one Mirror request and its 27 bytes this hour, one origin fetch or more with a latency,
        // and every polyline carries exactly the JSON's numbers, one point per minute.
        var history = root.GetProperty("history");
        var minutes = history.GetProperty("minutes").EnumerateArray().ToList();
        Assert.NotEmpty(minutes);
        Assert.Equal(["hit", "mirror", "proxy", "redirect", "miss"], history.GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(1, minutes.Sum(m => m.GetProperty("requests").GetProperty("mirror").GetDouble()));
        Assert.Equal(0, minutes.Sum(m => m.GetProperty("requests").GetProperty("hit").GetDouble()));
        Assert.Equal(27, minutes.Sum(m => m.GetProperty("bytesFromOrigins").GetDouble()));
        Assert.Contains(minutes, m => m.GetProperty("originRequests").GetInt64() >= 1 && m.GetProperty("originLatencyP50Ms").ValueKind == JsonValueKind.Number
            && m.GetProperty("originLatencyP99Ms").GetDouble() >= m.GetProperty("originLatencyP50Ms").GetDouble());
        var plots = root.GetProperty("plots");
        static string Values(IEnumerable<JsonElement> values) => string.Join(",", values.Select(v => v.ValueKind == JsonValueKind.Null ? "" : v.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var action in new[] { "hit", "mirror", "proxy", "redirect", "miss" })
        {
            var line = plots.GetProperty("plot-requests").GetProperty(action);
            Assert.Equal(Values(minutes.Select(m => m.GetProperty("requests").GetProperty(action))), line.GetProperty("values").GetString());
            Assert.Equal(minutes.Count, line.GetProperty("points").GetInt32());
        }
        Assert.Equal(Values(minutes.Select(m => m.GetProperty("originLatencyP99Ms"))), plots.GetProperty("plot-latency").GetProperty("p99").GetProperty("values").GetString());
        Assert.Equal(Values(minutes.Select(m => m.GetProperty("bytesFromOrigins"))), plots.GetProperty("plot-bytes").GetProperty("bytes").GetProperty("values").GetString());
        Assert.Empty(root.GetProperty("externalResources").EnumerateArray());

        // 700 px wide: the page is no wider than the window and the header spans it.
        var narrow = root.GetProperty("narrow");
        Assert.True(narrow.GetProperty("page").GetInt32() <= 700, "the page is wider than a 700 px window: " + narrow);
        Assert.Equal(narrow.GetProperty("page").GetInt32(), narrow.GetProperty("header").GetInt32());
        Assert.True(narrow.GetProperty("widestSection").GetInt32() <= 700, "a section reaches past the window: " + narrow);
        Assert.True(new FileInfo(root.GetProperty("narrowScreenshot").GetString()!).Length > 10_000, "the 700 px screenshot is missing or empty");
        Assert.Contains(root.GetProperty("figures").EnumerateArray(), f => f.GetString()!.Contains("Hit ratio", StringComparison.Ordinal));
        Assert.True(root.GetProperty("loggedOut").GetBoolean());
        Assert.Empty(root.GetProperty("consoleErrors").EnumerateArray());
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is missing or empty");
    }

    [Fact]
    public async Task Api_NeedsASession_ScopedToTheCredentialsBuckets_AndRefusesTamperedCookies()
    {
        var (gateway, origin) = await StartAsync();
        await using var _ = gateway;
        await using var __ = origin;
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false });
        Uri Url(string path) => new(gateway.ControlUrl, path);

        var page = await client.GetAsync(Url("admin"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        foreach (var path in new[] { "admin/api/overview", "admin/api/tasks", "admin/api/decisions", "admin/api/history", $"admin/api/buckets/{GatewayProcess.DefaultBucket}/rules" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Url(path))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync(Url("admin/api/login"), new { secretId = GatewayFixture.LimitedSecretId, secretKey = "wrong" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(Url("admin/api/login"), new StringContent("not json"))).StatusCode);

        var login = await client.PostAsJsonAsync(Url("admin/api/login"), new { secretId = GatewayFixture.LimitedSecretId, secretKey = GatewayFixture.LimitedSecretKey });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var setCookie = login.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/admin", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(GatewayFixture.LimitedSecretKey, setCookie, StringComparison.Ordinal);
        var cookie = setCookie.Split(';')[0];

        async Task<HttpResponseMessage> GetAsync(string path, string sessionCookie)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
            request.Headers.Add("Cookie", sessionCookie);
            return await client.SendAsync(request);
        }
        using var overview = JsonDocument.Parse(await (await GetAsync("admin/api/overview", cookie)).Content.ReadAsStringAsync());
        Assert.Equal([GatewayFixture.PrivateBucket], overview.RootElement.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"admin/api/buckets/{GatewayProcess.DefaultBucket}/rules", cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"admin/api/buckets/{GatewayFixture.PrivateBucket}/rules", cookie)).StatusCode);

        // The same cookie with another SecretId, or a flipped signature, is no session.
        var value = cookie[(cookie.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var parts = value.Split('.');
        var payload = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0]));
        var forged = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.Replace(GatewayFixture.LimitedSecretId, GatewayProcess.DevSecretId, StringComparison.Ordinal))) + "." + parts[1];
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("admin/api/overview", "og_admin=" + forged)).StatusCode);
        var flipped = parts[0] + "." + (parts[1][0] == '0' ? "1" : "0") + parts[1][1..];
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("admin/api/overview", "og_admin=" + flipped)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("admin/api/overview", "og_admin=garbage")).StatusCode);
    }
    /// <summary>
    /// Behind a load balancer each request of the page may reach another replica, and replicas restart: a session is
    /// one of every gateway configured with its credential, and ends when that credential's SecretKey changes.
    /// </summary>
    [Fact]
    public async Task ASession_IsTakenByEveryReplicaWithTheCredential_SurvivesARestart_AndEndsWhenTheSecretKeyChanges()
    {
        static Task<GatewayProcess> StartWith(string secretKey) => GatewayProcess.StartAsync(
        [
            $"--Buckets:1:Name={GatewayFixture.PrivateBucket}",
            $"--Credentials:1:SecretId={GatewayFixture.LimitedSecretId}",
            $"--Credentials:1:SecretKey={secretKey}",
            $"--Credentials:1:Buckets:0={GatewayFixture.PrivateBucket}",
        ]);
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false });
        async Task<HttpStatusCode> OverviewAsync(GatewayProcess gateway, string cookie)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.ControlUrl, "admin/api/overview"));
            request.Headers.Add("Cookie", cookie);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        string cookie;
        await using (var first = await StartWith(GatewayFixture.LimitedSecretKey))
        {
            var login = await client.PostAsJsonAsync(new Uri(first.ControlUrl, "admin/api/login"), new { secretId = GatewayFixture.LimitedSecretId, secretKey = GatewayFixture.LimitedSecretKey });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
            Assert.Equal(HttpStatusCode.OK, await OverviewAsync(first, cookie));

            // Another replica (its own process and data) with the same credential takes it while the first runs.
            await using var second = await StartWith(GatewayFixture.LimitedSecretKey);
            Assert.Equal(HttpStatusCode.OK, await OverviewAsync(second, cookie));
        }
        // The first one stopped; a gateway started again with the same configuration keeps the session.
        await using (var restarted = await StartWith(GatewayFixture.LimitedSecretKey))
        {
            Assert.Equal(HttpStatusCode.OK, await OverviewAsync(restarted, cookie));
        }
        // A rotated SecretKey ends every session it signed, and the new key logs in.
        await using var rotated = await StartWith(GatewayFixture.LimitedSecretKey + "-rotated");
        Assert.Equal(HttpStatusCode.Unauthorized, await OverviewAsync(rotated, cookie));
        var again = await client.PostAsJsonAsync(new Uri(rotated.ControlUrl, "admin/api/login"), new { secretId = GatewayFixture.LimitedSecretId, secretKey = GatewayFixture.LimitedSecretKey + "-rotated" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await OverviewAsync(rotated, again.Headers.GetValues("Set-Cookie").Single().Split(';')[0]));
    }
}
