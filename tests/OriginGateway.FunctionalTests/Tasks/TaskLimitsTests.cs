using System.Net;
using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Tasks;

/// <summary>A gateway with one task worker and a narrow port list: the policy re-checked when a task runs, Egress:AllowedPorts.</summary>
public sealed class TaskLimitsTests : IAsyncLifetime
{
    private WireMockOrigin _origin = null!;
    private SlowOrigin _slow = null!;
    private GatewayProcess _gateway = null!;
    private FetchTaskClient _tasks = null!;

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        _origin = _servers.Add(WireMockOrigin.Start());
        _slow = await _servers.AddAsync(SlowOrigin.StartAsync());
        _gateway = await _servers.AddAsync(GatewayProcess.StartAsync(
        [
            "--Tasks:Workers=1",
            "--Tasks:PollInterval=00:00:00.05",
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            $"--Egress:AllowedPorts:0={_origin.Port}",
            $"--Egress:AllowedPorts:1={_slow.Port}",
        ]));
        _tasks = new FetchTaskClient(_gateway);
    });

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task Policy_IsCheckedAgainWhenTheTaskRuns()
    {
        // The only worker is busy with a slow task while the second one waits in the queue.
        _slow.ServeSlowly("/slow", RandomNumberGenerator.GetBytes(10_000), 10_000, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1.5));
        _origin.Serve("/later", "later"u8.ToArray());
        var slow = await _tasks.SubmitAsync(new { Url = $"http://{_slow.Host}/slow", Key = "slow.bin" });
        await _tasks.WaitAsync(slow.TaskId, a => a.State == "TASK_DOING");
        var waiting = await _tasks.SubmitAsync(new { Url = $"http://{_origin.Host}/later", Key = "later/x.bin" });
        Assert.Equal(HttpStatusCode.OK, waiting.Status);
        Assert.Equal("TASK_WAITING", (await _tasks.GetAsync(waiting.TaskId)).State);

        var policy = $$"""
            {"version":"2.0","Statement":[{"Principal":{"service":"cos.qcloud.com"},"Effect":"Allow","Action":["name/cos:PutObject"],
              "Resource":["qcs::cos:*:uid/1250000000:{{GatewayProcess.DefaultBucket}}/slow*"]}]}
            """;
        var put = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, "?policy")) { Content = new StringContent(policy) }.Sign());
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        var done = await _tasks.WaitAsync(waiting.TaskId);
        Assert.Equal("TASK_FAILED", done.State);
        Assert.Equal("AccessDenied", done.Data.GetProperty("code").GetString());
        Assert.Equal(0, _origin.Count("/later"));
        Assert.Equal("TASK_SUCCESS", (await _tasks.WaitAsync(slow.TaskId)).State);
    }

    [Fact]
    public async Task UrlOnAPortOutsideAllowedPorts_FailsWithEgressDenied()
    {
        var done = await _tasks.WaitAsync((await _tasks.SubmitAsync(new { Url = "http://127.0.0.1:1/x", Key = "port.bin" })).TaskId);

        Assert.Equal("TASK_FAILED", done.State);
        Assert.Equal("EgressDenied", done.Data.GetProperty("code").GetString());
        Assert.Contains("AllowedPorts", done.Data.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedirectToAPortOutsideAllowedPorts_FailsWithEgressDenied()
    {
        _origin.Redirect("/hop", "http://127.0.0.1:1/x");

        var done = await _tasks.WaitAsync((await _tasks.SubmitAsync(new { Url = $"http://{_origin.Host}/hop", Key = "hop.bin" })).TaskId);

        Assert.Equal("EgressDenied", done.Data.GetProperty("code").GetString());
    }
}
