using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>
/// An origin connection that breaks part-way through a body: a real nginx origin behind a relay that resets the
/// connection after some bytes. The gateway asks nginx for the rest (<c>Range</c> from where it broke, <c>If-Match</c>
/// the first answer's ETag): Mirror clients already receiving get the whole object without noticing, a fetch task
/// finishes in its first attempt, and when the object changed meanwhile nothing is spliced. A real S3 server (s3rver,
/// which answers a Range but ignores If-Match) plays an origin whose 206 may be of another version.
/// </summary>
public sealed class OriginResumeTests : IAsyncLifetime
{
    private NginxOrigin _nginx = null!;
    private CuttingRelay _relay = null!;
    private S3Server _s3 = null!;
    private CuttingRelay _s3Relay = null!;
    private GatewayProcess _gateway = null!;

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        _nginx = await _servers.AddAsync(NginxOrigin.StartAsync());
        _relay = _servers.Add(new CuttingRelay(_nginx.Port));
        _s3 = await _servers.AddAsync(S3Server.StartAsync("s3o"));
        _s3Relay = _servers.Add(new CuttingRelay(_s3.Port));
        _gateway = await _servers.AddAsync(GatewayProcess.StartAsync(
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            "--OriginPull:BodyIdleTimeout=00:00:05",
            "--Tasks:RetryBase=00:00:00.05",
            "--Tasks:RetryCap=00:00:00.2",
            "--Tasks:PollInterval=00:00:00.05",
        ]));
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "n/", _relay.Host), OriginPullFixture.Rule(2, "Mirror", "s3o/", _s3Relay.Host));
        using var put = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    });

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task AMirrorFillCutMidBody_IsResumedFromNginx_AndEveryClientReceivingGetsTheWholeObject()
    {
        var key = "n/" + Guid.NewGuid().ToString("N") + "/herd.bin";
        var content = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        _nginx.Write(key, content);
        var etag = await _nginx.ETagAsync("/" + key);
        // The first origin connection breaks after 2 MiB; meanwhile the clients have joined the fill and are receiving.
        _relay.CutNext(2 * 1024 * 1024, () => Task.Delay(500));
        var resumedBefore = await MetricAsync("origin_gateway_origin_resumes_total{", "outcome=\"resumed\"");

        var clients = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, key), HttpCompletionOption.ResponseHeadersRead);
            return (response.StatusCode, Action: response.Headers.GetValues("x-origin-action").Single(), Body: await response.Content.ReadAsByteArrayAsync());
        }));

        foreach (var (status, action, body) in clients)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(content.AsSpan().SequenceEqual(body), $"a {action} client got {body.Length} bytes that are not the object");
        }
        // The clients joined the fill (a very late one, on a loaded machine, may find it stored: a hit).
        Assert.All(clients, c => Assert.Contains(c.Action, new[] { "mirror", "hit" }));
        Assert.Contains(clients, c => c.Action == "mirror");
        var requests = await _nginx.RequestsAsync("/" + key, 2);
        Assert.Equal(2, requests.Count);
        // nginx logs a request when it ends: the cut one may be logged after its resumption.
        var first = Assert.Single(requests, r => r.Range.Length == 0);
        Assert.Equal(("", 200), (first.IfMatch, first.Status));
        var second = Assert.Single(requests, r => r.Range.Length > 0);
        Assert.Equal((etag, 206), (second.IfMatch, second.Status));
        var from = long.Parse(second.Range["bytes=".Length..^1], CultureInfo.InvariantCulture);
        Assert.InRange(from, 1, 2 * 1024 * 1024);
        Assert.Equal(content.Length - from, second.BytesSent);

        using var hit = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, key));
        Assert.Equal("hit", hit.Headers.GetValues("x-origin-action").Single());
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(content)) + "\"", hit.Headers.ETag?.ToString());
        var stored = await hit.Content.ReadAsByteArrayAsync();
        Assert.True(content.AsSpan().SequenceEqual(stored));
        Assert.True(await MetricAsync("origin_gateway_origin_resumes_total{", "outcome=\"resumed\"") > resumedBefore);
        Assert.True(await _gateway.WaitForOutputAsync($"body ended early (Truncated) after {from} bytes: resumed from there", TimeSpan.FromSeconds(10)), _gateway.Output);
    }

    [Fact]
    public async Task AnObjectChangedBeforeTheResume_IsNotSpliced_TheClientIsCut_AndTheNextMissGetsTheNewVersion()
    {
        var key = "n/" + Guid.NewGuid().ToString("N") + "/changed.bin";
        var before = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var after = RandomNumberGenerator.GetBytes(4 * 1024 * 1024 + 1);
        _nginx.Write(key, before);
        // The object is replaced at the origin just before the first connection breaks: nginx answers the resumption 412.
        _relay.CutNext(1024 * 1024, () =>
        {
            _nginx.Write(key, after);
            return Task.CompletedTask;
        });
        var refusedBefore = await MetricAsync("origin_gateway_origin_resumes_total{", "outcome=\"refused\"");

        using (var response = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, key), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.Fail($"a cut fill ended cleanly with {body.Length} of {before.Length} bytes");
            });
        }

        var requests = await _nginx.RequestsAsync("/" + key, 2);
        Assert.Equal(2, requests.Count);
        Assert.Equal(412, Assert.Single(requests, r => r.Range.Length > 0).Status);
        Assert.True(await MetricAsync("origin_gateway_origin_resumes_total{", "outcome=\"refused\"") > refusedBefore);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, key)))).StatusCode);

        var again = await _gateway.Client.GetByteArrayAsync(new Uri(_gateway.DataUrl, key));
        Assert.True(after.AsSpan().SequenceEqual(again), "the next miss did not get the new version whole");
    }

    [Fact]
    public async Task AFetchTaskCutMidBody_IsResumed_AndSucceedsInItsFirstAttempt()
    {
        var path = "/t/" + Guid.NewGuid().ToString("N") + "/task.bin";
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        _nginx.Write(path, content);
        _relay.CutNext(512 * 1024);
        var tasks = new FetchTaskClient(_gateway);

        var submitted = await tasks.SubmitAsync(new { Url = $"http://{_relay.Host}{path}", Key = "fetched/task.bin" });
        var done = await tasks.WaitAsync(submitted.TaskId);

        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Equal(1, done.Data.GetProperty("attempts").GetInt32());
        var stored = await _gateway.Client.GetByteArrayAsync(new Uri(_gateway.DataUrl, "fetched/task.bin"));
        Assert.True(content.AsSpan().SequenceEqual(stored));
        var requests = await _nginx.RequestsAsync(path, 2);
        Assert.Equal(2, requests.Count);
        var rest = Assert.Single(requests, r => r.Range.Length > 0);
        Assert.Equal(206, rest.Status);
        Assert.StartsWith("bytes=", rest.Range, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnS3OriginCutMidBody_IsResumed_FromItsRangeAnswer()
    {
        var key = "s3o/" + Guid.NewGuid().ToString("N") + "/obj.bin";
        var content = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await PutToS3Async(key, content);
        _s3Relay.CutNext(1024 * 1024);
        var connections = _s3Relay.Connections;

        var received = await _gateway.Client.GetByteArrayAsync(new Uri(_gateway.DataUrl, key));

        Assert.True(content.AsSpan().SequenceEqual(received), $"the client got {received.Length} bytes that are not the object");
        Assert.Equal(connections + 2, _s3Relay.Connections);
        Assert.True(await _gateway.WaitForOutputAsync("resumed from there", TimeSpan.FromSeconds(10)), _gateway.Output);
        using var hit = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, key));
        Assert.Equal("hit", hit.Headers.GetValues("x-origin-action").Single());
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(content)) + "\"", hit.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task AnS3OriginThatIgnoresIfMatch_AnswersTheNewVersionsBytes_AndNothingIsSpliced()
    {
        var key = "s3o/" + Guid.NewGuid().ToString("N") + "/changed.bin";
        var before = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var after = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await PutToS3Async(key, before);
        // Replaced with another version of the same length: only its ETag tells the 206 apart.
        _s3Relay.CutNext(1024 * 1024, () => PutToS3Async(key, after));

        using (var response = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, key), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.Fail($"a cut fill ended cleanly with {body.Length} of {before.Length} bytes");
            });
        }

        Assert.True(await _gateway.WaitForOutputAsync("could not be resumed: the 206 is of another version", TimeSpan.FromSeconds(10)), _gateway.Output);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, key)))).StatusCode);
        var again = await _gateway.Client.GetByteArrayAsync(new Uri(_gateway.DataUrl, key));
        Assert.True(after.AsSpan().SequenceEqual(again), "the next miss did not get the new version whole");
    }

    /// <summary>An anonymous path-style PUT into s3rver (bucket <c>s3o</c>, the key's first segment).</summary>
    private async Task PutToS3Async(string key, byte[] content)
    {
        using var client = new HttpClient();
        using var put = await client.PutAsync($"{_s3.Endpoint}/{key}", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    private async Task<double> MetricAsync(params string[] fragments) =>
        PrometheusText.Sum(await _gateway.Client.GetStringAsync(new Uri(_gateway.ControlUrl, "metrics")), fragments);
}
