using System.Diagnostics;
using System.Net;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// Outage drills on two replicas sharing PostgreSQL, Redis and s3rver (real processes): a dependency is
/// taken away under load, and the replicas must stay up, answer truthfully, and finish their work after.
/// </summary>
public sealed class DependencyDrillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ReplicaSet _set = new();

    public Task InitializeAsync() => _set.InitializeAsync();

    public Task DisposeAsync() => _set.DisposeAsync();

    [Fact]
    public async Task PostgresStoppedForFiveSeconds_UnderLoad_BothReplicasStayUp_ServeObjects_Answer503ForItsApis_AndFinishEveryTask()
    {
        var a = _set.A;
        var b = _set.B;
        var bodies = new Dictionary<string, byte[]>();
        for (var i = 0; i < 4; i++)
        {
            var key = $"drill/hit-{i}.txt";
            bodies[key] = Encoding.UTF8.GetBytes($"stored before the outage {i} {Guid.NewGuid()}");
            Assert.Equal(HttpStatusCode.OK, (await a.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(a.DataUrl, key)) { Content = CosSigner.Bytes(bodies[key]) }.Sign())).StatusCode);
        }
        // Tasks in flight across the outage: each origin answer takes ~3 s.
        var tasks = new FetchTaskClient(a);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            _set.Origin.ServeSlowly($"/drill/task-{i}.bin", Encoding.UTF8.GetBytes($"task body {i}"), 2, TimeSpan.FromMilliseconds(300));
            ids.Add((await tasks.SubmitAsync(new { Url = $"http://{_set.Origin.Host}/drill/task-{i}.bin", Key = $"drill/task-{i}.bin" })).TaskId);
        }

        // Load on both replicas: hits of stored objects and Mirror misses, all the way through.
        var misses = 0;
        var results = new List<(string What, HttpStatusCode Status, bool Whole, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        using var stopLoad = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            var n = 0;
            while (!stopLoad.IsCancellationRequested)
            {
                var replica = n++ % 2 == 0 ? a : b;
                var key = $"drill/hit-{n % 4}.txt";
                var hit = await replica.Client.GetAsync(new Uri(replica.DataUrl, key));
                var bytes = await hit.Content.ReadAsByteArrayAsync();
                var miss = $"m/drill-miss-{Interlocked.Increment(ref misses)}.txt";
                _set.Origin.Serve("/" + miss, Encoding.UTF8.GetBytes(miss), "text/plain");
                var mirrored = await replica.Client.GetAsync(new Uri(replica.DataUrl, miss));
                lock (results)
                {
                    results.Add(("hit", hit.StatusCode, bytes.AsSpan().SequenceEqual(bodies[key]), clock.Elapsed));
                    results.Add(("miss", mirrored.StatusCode, mirrored.StatusCode == HttpStatusCode.OK, clock.Elapsed));
                }
                await Task.Delay(20);
            }
        });

        await Task.Delay(1000);
        var stoppedAt = clock.Elapsed;
        _set.Postgres.Stop();
        await Task.Delay(500);

        // While it is down: the APIs that need it answer a retryable 503 in their own format.
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", _set.Origin.Host), OriginPullFixture.Rule(2, "Mirror", "n/", _set.Origin.Host));
        var putRules = await b.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(b.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, putRules.StatusCode);
        Assert.Equal("ServiceUnavailable", XDocument.Parse(await putRules.Content.ReadAsStringAsync()).Root!.Element("Code")!.Value);
        var submit = await new FetchTaskClient(b).SubmitAsync(new { Url = $"http://{_set.Origin.Host}/drill/late.bin", Key = "drill/late.bin" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, submit.Status);
        Assert.Equal("ServiceUnavailable", submit.Code);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await tasks.SendAsync(new HttpRequestMessage(HttpMethod.Get, tasks.Url(ids[0])).Sign())).Status);

        await Task.Delay(TimeSpan.FromSeconds(5) - (clock.Elapsed - stoppedAt));
        _set.Postgres.Start();
        var startedAt = clock.Elapsed;

        // Back within seconds: the same calls work again.
        HttpResponseMessage again;
        do
        {
            again = await b.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(b.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        }
        while (again.StatusCode != HttpStatusCode.OK && clock.Elapsed - startedAt < TimeSpan.FromSeconds(20) && await Delay(100));
        var recovered = clock.Elapsed - startedAt;
        output.WriteLine($"configuration API back {recovered.TotalMilliseconds:F0} ms after PostgreSQL started again");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(recovered < TimeSpan.FromSeconds(10), $"the API came back after {recovered}");
        await stopLoad.CancelAsync();
        await load;

        Assert.False(a.HasExited, a.Output);
        Assert.False(b.HasExited, b.Output);
        var during = results.Where(r => r.At > stoppedAt && r.At < startedAt).ToList();
        output.WriteLine($"{results.Count} requests, {during.Count} during the outage");
        Assert.True(during.Count(r => r.What == "hit") >= 10, $"only {during.Count} requests ran during the outage");
        Assert.All(results, r => Assert.True(r.Status == HttpStatusCode.OK && r.Whole, $"{r.What} at {r.At}: {r.Status}"));

        // Every task finishes, and its object is whole.
        for (var i = 0; i < ids.Count; i++)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            FetchTaskClient.Answer state;
            while ((state = await tasks.GetAsync(ids[i])).State is not ("TASK_SUCCESS" or "TASK_FAILED") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            Assert.Equal("TASK_SUCCESS", state.State);
            Assert.Equal($"task body {i}", await a.Client.GetStringAsync(new Uri(a.DataUrl, $"drill/task-{i}.bin")));
        }
        Assert.DoesNotContain("BackgroundService failed", a.Output + b.Output, StringComparison.Ordinal);
    }

    private static async Task<bool> Delay(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return true;
    }
}
