using System.Net;
using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Observability;

/// <summary>Structured logs: JSON lines when asked for, one line per origin-pull decision, the access log, and never a secret.</summary>
public sealed class LogTests
{
    [Fact]
    public async Task JsonLogs_DecisionsAndAccessLog_CarryNoSecret()
    {
        await using var origin = WireMockOrigin.Start();
        origin.Status("/callback", 204);
        origin.Serve("/m/a.txt", Encoding.UTF8.GetBytes("mirrored"), "text/plain");
        origin.Serve("/task.txt", Encoding.UTF8.GetBytes("task body"), "text/plain");
        await using var gateway = await GatewayProcess.StartAsync(
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            "--Logging:Console:FormatterName=json",
            "--Logging:LogLevel:OriginGateway=Trace",
            "--Logging:LogLevel:OriginGateway.AccessLog=Information",
        ]);
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host));
        var signedSecrets = new List<string>();
        HttpRequestMessage Signed(HttpRequestMessage request)
        {
            request.Sign();
            signedSecrets.Add(SignatureOf(request.Headers.GetValues("Authorization").Single()));
            return request;
        }
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(Signed(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(Signed(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "secret/object.txt")) { Content = new StringContent("x") }))).StatusCode);
        var presigned = CosSigner.Presign(new Uri(gateway.DataUrl, "secret/object.txt"), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        signedSecrets.Add(System.Web.HttpUtility.ParseQueryString(presigned.Query)["q-signature"]!);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(presigned)).StatusCode);
        var wrong = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, "?origin")).Sign(secretKey: "a-wrong-secret-key");
        signedSecrets.Add(SignatureOf(wrong.Headers.GetValues("Authorization").Single()));
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.Client.SendAsync(wrong)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "m/a.txt"))).StatusCode);
        var tasks = new FetchTaskClient(gateway);
        var submitted = await tasks.SubmitAsync(new { Url = $"http://{origin.Host}/task.txt", Key = "task.txt", SuccessCallbackUrl = $"http://{origin.Host}/callback" });
        await tasks.WaitAsync(submitted.TaskId, a => a.Data.TryGetProperty("callback", out var callback) && callback.GetProperty("state").GetString() == "delivered");
        var callbacks = origin.Hits("/callback").Select(h => h.Headers["X-Origin-Gateway-Signature"]).ToList();
        Assert.Single(callbacks);
        // Decisions and access lines are written off the request path: wait for them (bounded), not for a fixed time.
        for (var waited = 0; waited < 100 && !(gateway.Output.Contains("\"EventId\":3201", StringComparison.Ordinal)
            && gateway.Output.Split("\"Category\":\"OriginGateway.AccessLog\"").Length > 5); waited++)
        {
            await Task.Delay(100);
        }

        var output = gateway.Output;
        foreach (var secret in signedSecrets.Concat([GatewayProcess.DevSecretKey, TaskFixture.DevCallbackSecret, "a-wrong-secret-key", callbacks.Single()]).Append("q-signature"))
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        }

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var events = lines.Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        }).ToList();
        var decision = Assert.Single(events, e => e.GetProperty("EventId").GetInt32() == 3201);
        var state = decision.GetProperty("State");
        Assert.Equal("mirror", state.GetProperty("Action").GetString());
        Assert.Equal(origin.Host, state.GetProperty("OriginHost").GetString());
        Assert.Equal("200", state.GetProperty("Status").ToString());
        Assert.Equal("8", state.GetProperty("Bytes").ToString());
        Assert.Equal(16, state.GetProperty("KeyHash").GetString()!.Length);
        Assert.False(string.IsNullOrEmpty(state.GetProperty("RequestId").GetString()));
        var access = events.Where(e => e.GetProperty("Category").GetString() == "OriginGateway.AccessLog").ToList();
        Assert.True(access.Count >= 5, string.Join('\n', lines));
        Assert.Contains(access, e => e.GetProperty("State").GetProperty("Status").ToString() == "403");
        Assert.DoesNotContain("m/a.txt", output, StringComparison.Ordinal);
        Assert.Contains(events, e => e.GetProperty("EventId").GetInt32() == 1002);
    }

    private static string SignatureOf(string authorization) =>
        authorization.Split('&').Single(p => p.StartsWith("q-signature=", StringComparison.Ordinal))["q-signature=".Length..];
}
