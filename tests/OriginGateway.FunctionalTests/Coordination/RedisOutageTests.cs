using OriginGateway.Coordination;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Observability;
using Prometheus;
using StackExchange.Redis;

namespace OriginGateway.FunctionalTests.Coordination;

/// <summary>
/// A Redis that stops answering, against a real redis-server: calls fall back to local coordination at their deadline,
/// then at once while the breaker is open. The deadlines are timed here, in this process, so these run alone.
/// </summary>
[Collection(RunsAloneCollection.Name)]
public sealed class RedisOutageTests : IAsyncLifetime
{
    private RedisReplicas _replicas = null!;

    private RedisServer Redis => _replicas.Server;

    public async Task InitializeAsync() => _replicas = await RedisReplicas.StartAsync();

    public async Task DisposeAsync() => await _replicas.DisposeAsync();

    /// <summary>
    /// A frozen Redis (SIGSTOP: the connection stays open, nothing answers) fails no call by refusing it: each kind of call
    /// — a claim, a counter, and the distributed cache's read behind the shared negative cache — must give up at the
    /// deadline by itself and fall back, until the breaker opens and calls fall back at once.
    /// </summary>
    [Fact]
    public async Task AFrozenRedis_EveryKindOfCallFallsBackAtItsDeadline_ThenAtOnceOnceTheBreakerOpens()
    {
        var options = new CoordinationOptions { OperationTimeout = TimeSpan.FromMilliseconds(400), BreakerFailures = 5, BreakerOpenFor = TimeSpan.FromSeconds(30) };
        var redis = _replicas.Connect(options);
        var state = RedisReplicas.State(redis);
        var locks = RedisReplicas.Locks(redis, options);
        Assert.False(await RedisReplicas.FirstAnswerAsync(() => state.ContainsAsync("warm")));
        Assert.True(await RedisReplicas.FirstAnswerAsync(() => state.IncrementAsync("warm", TimeSpan.FromMinutes(1))) >= 1);

        await Redis.FreezeAsync();
        try
        {
            var calls = new (string Name, Func<Task<bool>> FellBack)[]
            {
                ("cache read", async () => await state.ContainsAsync("frozen") is null),
                ("counter", async () => await state.IncrementAsync("frozen", TimeSpan.FromMinutes(1)) is null),
                ("claim", async () =>
                {
                    // Granted locally (not refused): a fill per replica instead of a stalled request.
                    var claim = await locks.TryClaimAsync("bucket", "frozen-key");
                    return claim is not null;
                }),
            };
            // In turn until the breaker opens: once the warm calls' successes have left its window (2 × 5 deadlines):
            // about ten calls, three or so of each kind.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var waits = new Dictionary<string, List<long>>();
            var made = 0;
            var lags = new List<long>();
            while (redis.Available && made < 30)
            {
                var (name, fellBack) = calls[made++ % calls.Length];
                clock.Restart();
                // A timer of this process set for the deadline beside the call: the deadline's own timer fires no sooner, so
                // how late this one fires is the process's lag (a busy thread pool after the tests before), not the call's.
                var timer = Task.Delay(options.OperationTimeout).ContinueWith(_ => clock.ElapsedMilliseconds, TaskScheduler.Default);
                Assert.True(await fellBack(), name);
                var took = clock.ElapsedMilliseconds;
                var lag = Math.Max(0, await timer - (long)options.OperationTimeout.TotalMilliseconds);
                lags.Add(lag);
                (waits.TryGetValue(name, out var list) ? list : waits[name] = []).Add(Math.Max(0, took - lag));
            }
            // Each kind gives up at the deadline: every call within a few times it (never at the freeze's end), and the
            // typical one close to it. A call left to the client library's own timeout checks (once a second) waits
            // 900–1000 ms each time. The process's own lag is taken off each wait (and shown).
            var seen = string.Join("; ", waits.Select(w => $"{w.Key}: {string.Join(", ", w.Value)} ms")) + $"; timer lag: {string.Join(", ", lags)} ms";
            foreach (var (name, list) in waits)
            {
                Assert.True(list.Max() < 2000, $"{name} waited past the deadline ({seen})");
                Assert.True(Median(list) < 700, $"{name} typically waited past a 400 ms deadline ({seen})");
            }
            Assert.False(redis.Available, $"the breaker did not open after {made} calls failed at their deadline");
            Assert.True(made >= calls.Length, $"the breaker opened after {made} calls, before every kind was made ({seen})");
            clock.Restart();
            Assert.Null(await state.ContainsAsync("frozen"));
            Assert.Null(await state.IncrementAsync("frozen", TimeSpan.FromMinutes(1)));
            Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(100), $"open breaker: {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            await Redis.ThawAsync();
        }
    }

    [Fact]
    public async Task AnOutage_OpensTheBreaker_SoCallsFallBackAtOnce_AndItClosesWhenRedisReturns()
    {
        var options = new CoordinationOptions { OperationTimeout = TimeSpan.FromMilliseconds(300), BreakerFailures = 2, BreakerOpenFor = TimeSpan.FromSeconds(1) };
        var redis = _replicas.Connect(options);
        var state = RedisReplicas.State(redis);
        Assert.True(await RedisReplicas.FirstAnswerAsync(() => state.IncrementAsync("n", TimeSpan.FromMinutes(1))) >= 1);
        Assert.True(redis.Available);
        // Counted from here: the outage below is the one restoration expected.
        var restored = 0;
        redis.Restored += () => Interlocked.Increment(ref restored);

        await Redis.StopAsync();
        // Every call fails (within its deadline) and falls back; once the window holds only failures the
        // breaker opens: within a few calls, never more than the window's length (2 × 2 × 300 ms) of them.
        var failedCalls = 0;
        while (redis.Available && failedCalls < 20)
        {
            Assert.Null(await state.IncrementAsync("n", TimeSpan.FromMinutes(1)));
            failedCalls++;
        }
        Assert.False(redis.Available, $"the breaker did not open after {failedCalls} failed calls");
        Assert.True(failedCalls >= 2, "the breaker opened before BreakerFailures calls had failed");
        // While open, no call is sent: the fallback comes without waiting for any timeout.
        var attempts = redis.Attempts;
        for (var i = 0; i < 100; i++)
        {
            Assert.Null(await state.ContainsAsync("x"));
        }
        Assert.Equal(attempts, redis.Attempts);

        await Redis.StartAgainAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long? count = null;
        while (count is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            count = await state.IncrementAsync("fresh", TimeSpan.FromMinutes(1));
        }
        Assert.Equal(1, count);
        Assert.True(redis.Available);
        Assert.Equal(1, restored);
    }

    /// <summary>
    /// A replica waiting for another's fill claim whose poll a frozen Redis does not answer in time, while its breaker is
    /// still closed, is not granted the claim (that would fetch the key a second time beside the fill it waits for): it
    /// polls again. Once the breaker opens (the poll that opens it included) the claim is granted locally, as every claim is then. The takes Redis receives
    /// late, after the thaw, are undone: the key is not left claimed by a token nobody renews or releases.
    /// </summary>
    [Fact]
    public async Task AWaitingReplicasUnansweredPoll_IsNoGrant_UntilTheBreakerOpens_AndItsLateTakeIsUndone()
    {
        var options = new CoordinationOptions { OperationTimeout = TimeSpan.FromMilliseconds(300), BreakerFailures = 2, BreakerOpenFor = TimeSpan.FromSeconds(30), FillLockTtl = TimeSpan.FromMinutes(5) };
        var redis = _replicas.Connect(options);
        var state = RedisReplicas.State(redis);
        var metrics = new GatewayMetrics();
        var locks = RedisReplicas.Locks(redis, options, metrics: metrics);
        Assert.False(await RedisReplicas.FirstAnswerAsync(() => state.ContainsAsync("warm")));
        var name = RedisReplicas.FillKey("polled");

        await Redis.FreezeAsync();
        IAsyncDisposable? opening = null, whileOpen;
        var unanswered = 0;
        try
        {
            // Polled until the breaker opens: each unanswered poll is refused while it stays closed; the poll whose failure
            // opens it is granted, as is the next, made while it is open.
            while (opening is null && unanswered < 20)
            {
                var claim = await locks.TryClaimAsync("bucket", "polled", heldElsewhere: true);
                if (redis.Available)
                {
                    Assert.Null(claim);
                    unanswered++;
                }
                else
                {
                    opening = Assert.IsAssignableFrom<IAsyncDisposable>(claim);
                }
            }
            Assert.True(opening is not null, $"the breaker did not open after {unanswered} unanswered polls");
            Assert.True(unanswered >= 1, "the first unanswered poll opened the breaker");
            whileOpen = await locks.TryClaimAsync("bucket", "polled", heldElsewhere: true);
            Assert.NotNull(whileOpen);
        }
        finally
        {
            await Redis.ThawAsync();
        }
        await opening.DisposeAsync();
        await whileOpen.DisposeAsync();

        // Another connection's answer after the thaw comes once Redis has worked through what reached it while frozen.
        using var raw = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && await raw.GetDatabase().KeyExistsAsync(name))
        {
            await Task.Delay(100);
        }
        Assert.False(await raw.GetDatabase().KeyExistsAsync(name), $"a late take is left holding the key for {await raw.GetDatabase().KeyTimeToLiveAsync(name)}");
        var text = await MetricsText(metrics);
        Assert.Contains($"origin_gateway_fill_claims_total{{outcome=\"unanswered\"}} {unanswered}", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_fill_claims_total{outcome=\"local\"} 2", text, StringComparison.Ordinal);
    }

    private static async Task<string> MetricsText(GatewayMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static long Median(List<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted[(sorted.Count - 1) / 2];
    }
}
