using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Coordination;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Tests;
using OriginGateway.Vod;
using StackExchange.Redis;

namespace OriginGateway.FunctionalTests.Coordination;

/// <summary>The Redis implementations of the coordination interfaces, against a real redis-server, two "replicas" per test.</summary>
public sealed class RedisCoordinationTests : IAsyncLifetime
{
    private RedisReplicas _replicas = null!;

    private RedisServer Redis => _replicas.Server;

    public async Task InitializeAsync() => _replicas = await RedisReplicas.StartAsync();

    public async Task DisposeAsync() => await _replicas.DisposeAsync();

    private RedisConnection Connect(CoordinationOptions? options = null) => _replicas.Connect(options);

    [Fact]
    public async Task FillClaims_AreExclusiveAcrossReplicas_ReleasedWhenDone_AndExpireWhenTheHolderDies()
    {
        // Claims are what is tested here, not deadlines: a generous one, so a loaded machine does not turn a slow
        // call into a local fallback; and a TTL long enough that a renewal (every third of it) delayed by a busy
        // machine still lands in time (with 1.5 s, and once more with 4 s, a run of the whole suite saw the claim lapse).
        var options = new CoordinationOptions { FillLockTtl = TimeSpan.FromSeconds(9), OperationTimeout = TimeSpan.FromSeconds(2) };
        var a = RedisReplicas.Locks(Connect(options), options);
        var b = RedisReplicas.Locks(Connect(options), options);

        var claim = await a.TryClaimAsync("bucket", "key");
        Assert.NotNull(claim);
        Assert.Null(await b.TryClaimAsync("bucket", "key"));
        Assert.NotNull(await b.TryClaimAsync("bucket", "other key"));

        // Renewed while held: still A's well past the TTL.
        await Task.Delay(TimeSpan.FromSeconds(12));
        Assert.Null(await b.TryClaimAsync("bucket", "key"));
        await claim.DisposeAsync();
        var taken = await b.TryClaimAsync("bucket", "key");
        Assert.NotNull(taken);

        // A holder that dies stops renewing: a claim left in Redis (as by a killed replica) expires.
        using var raw = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration);
        var keys = raw.GetServer(Redis.Configuration).Keys(pattern: "og:fill:bucket:*").ToList();
        Assert.Equal(2, keys.Count);
        await raw.GetDatabase().StringSetAsync("og:fill:bucket:dead", "x", TimeSpan.FromSeconds(1));
        Assert.False(await raw.GetDatabase().StringSetAsync("og:fill:bucket:dead", "y", TimeSpan.FromSeconds(1), When.NotExists));
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        Assert.True(await raw.GetDatabase().StringSetAsync("og:fill:bucket:dead", "y", TimeSpan.FromSeconds(1), When.NotExists));
    }

    /// <summary>
    /// A claim lives through Redis's troubles: one held when Redis restarts empty is taken again once it answers, one
    /// granted while Redis was down is taken in Redis when it returns (another replica then waits for it), and one that
    /// another replica holds meanwhile is given up — a warning, and the other replica's claim is left as it is.
    /// </summary>
    [Fact]
    public async Task FillClaims_AreTakenAgainAfterARedisRestart_AndAClaimAnotherReplicaHoldsIsLeftAlone()
    {
        // Renewed every second, tried again every 0.3 s while Redis does not answer.
        var options = new CoordinationOptions { FillLockTtl = TimeSpan.FromSeconds(3), OperationTimeout = TimeSpan.FromMilliseconds(500), BreakerFailures = 2, BreakerOpenFor = TimeSpan.FromSeconds(1) };
        var logger = new RecordingLogger<RedisFillLocks>();
        var replicaA = Connect(options);
        var a = RedisReplicas.Locks(replicaA, options, logger);
        var replicaB = Connect(options);
        var b = RedisReplicas.Locks(replicaB, options);
        using var raw = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration + ",abortConnect=false");
        static RedisKey NameOf(string key) => RedisReplicas.FillKey(key);
        async ValueTask<bool> HeldByA(string key)
        {
            try
            {
                var value = await raw.GetDatabase().StringGetAsync(NameOf(key));
                return value.HasValue && value.ToString().StartsWith(replicaA.ReplicaId + "/", StringComparison.Ordinal);
            }
            catch (RedisException)
            {
                return false; // this test's own connection is still coming back after the restart
            }
        }

        var held = await a.TryClaimAsync("bucket", "held");
        Assert.NotNull(held);
        Assert.True(await HeldByA("held"));

        await Redis.StopAsync();
        var local = await a.TryClaimAsync("bucket", "granted while down");
        Assert.NotNull(local);
        await Redis.StartAgainAsync();

        // The restarted Redis holds nothing: A takes both claims again (no other replica asked meanwhile).
        Assert.True(await EventuallyAsync(async () => await HeldByA("held") && await HeldByA("granted while down"), TimeSpan.FromSeconds(30)),
            "the claims were not taken again after Redis came back");
        Assert.True(await EventuallyAsync(() => ValueTask.FromResult(replicaB.Multiplexer.IsConnected), TimeSpan.FromSeconds(30)), "B did not reconnect");
        Assert.Null(await b.TryClaimAsync("bucket", "held"));
        Assert.Null(await b.TryClaimAsync("bucket", "granted while down"));
        await held.DisposeAsync();
        await local.DisposeAsync();
        // Released, also if A's breaker is still open from the outage (the release is then not waited for).
        IAsyncDisposable? heldByB = null, grantedByB = null;
        Assert.True(await EventuallyAsync(async () => (heldByB ??= await b.TryClaimAsync("bucket", "held")) is not null), "A's claim was not released");
        Assert.True(await EventuallyAsync(async () => (grantedByB ??= await b.TryClaimAsync("bucket", "granted while down")) is not null), "A's claim granted while Redis was down was not released");
        Assert.Empty(logger.Lines);

        // Another replica's claim on the key (as after a lapse it took the key): A gives up, says so, touches nothing.
        var lost = await a.TryClaimAsync("bucket", "private/path/name.bin");
        Assert.NotNull(lost);
        var name = NameOf("private/path/name.bin");
        await raw.GetDatabase().StringSetAsync(name, "replica-c/token", TimeSpan.FromMinutes(1));
        Assert.True(await EventuallyAsync(() => ValueTask.FromResult(logger.Lines.Count > 0), TimeSpan.FromSeconds(10)), "the lost claim was not reported");
        var line = Assert.Single(logger.Lines);
        Assert.Equal((LogLevel.Warning, LogEvents.FillClaimLost), (line.Level, line.EventId));
        Assert.Contains("bucket bucket key#" + KeyHash.Of("private/path/name.bin"), line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("private/path", line.Message, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await lost.DisposeAsync();
        Assert.Equal("replica-c/token", (string?)await raw.GetDatabase().StringGetAsync(name));
        Assert.Single(logger.Lines);
    }

    [Fact]
    public async Task TheBus_DeliversToOtherReplicasOnly()
    {
        var a = new RedisClusterBus(Connect());
        var b = new RedisClusterBus(Connect());
        var atA = new List<ClusterMessage>();
        var atB = new TaskCompletionSource<ClusterMessage>();
        a.Received += atA.Add;
        b.Received += m => atB.TrySetResult(m);
        await Task.Delay(300); // subscriptions established

        a.Publish(new ClusterMessage(ClusterMessageKind.ObjectChanged, "bucket", "dir/key with spaces é"));

        Assert.Equal(new ClusterMessage(ClusterMessageKind.ObjectChanged, "bucket", "dir/key with spaces é"), await atB.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        await Task.Delay(200);
        Assert.Empty(atA);
    }

    [Fact]
    public async Task TheNegativeCacheAndTheVodRateLimit_AreSharedBetweenReplicas()
    {
        var pull = new OriginPullOptions { NegativeCacheTtl = TimeSpan.FromSeconds(1) };
        var stateA = RedisReplicas.State(Connect());
        var stateB = RedisReplicas.State(Connect());
        var cacheA = new NegativeCache(pull, TimeProvider.System, stateA);
        var cacheB = new NegativeCache(pull, TimeProvider.System, stateB);

        // Shared writes are fire-and-forget: what another replica sees is waited for.
        cacheA.Add("bucket", "gone.txt");
        Assert.True(await EventuallyAsync(() => cacheB.ContainsAsync("bucket", "gone.txt")));
        Assert.False(await cacheB.ContainsAsync("bucket", "other.txt"));
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.False(await cacheB.ContainsAsync("bucket", "gone.txt"));
        cacheA.Add("bucket", "back.txt");
        Assert.True(await EventuallyAsync(() => cacheB.ContainsAsync("bucket", "back.txt")));
        cacheB.Remove("bucket", "back.txt");
        var fresh = new NegativeCache(pull, TimeProvider.System, stateA);
        Assert.True(await EventuallyAsync(async () => !await fresh.ContainsAsync("bucket", "back.txt")));

        // Both replicas' clocks stand in one second: twenty requests, ten allowed between them; the next second allows again.
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var vod = new VodOptions { RequestsPerSecond = 10 };
        var limiterA = new VodRateLimiter(vod, clock, stateA);
        var limiterB = new VodRateLimiter(vod, clock, stateB);
        var allowed = 0;
        for (var i = 0; i < 10; i++)
        {
            allowed += await limiterA.TryAcquireAsync("AKIDSHARED") ? 1 : 0;
            allowed += await limiterB.TryAcquireAsync("AKIDSHARED") ? 1 : 0;
        }
        Assert.Equal(10, allowed);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await limiterB.TryAcquireAsync("AKIDSHARED"));
    }

    private static async Task<bool> EventuallyAsync(Func<ValueTask<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        while (!await condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return await condition();
    }

    /// <summary>
    /// Redis kept highly available by Sentinel, as deployments do: <c>Coordination:Redis</c> names the Sentinel and the
    /// service (<c>serviceName=mymaster</c>); when the master dies the Sentinel promotes its replica, and the gateway's
    /// claims and readiness go to the new master by themselves.
    /// </summary>
    [Fact]
    public async Task RedisBehindSentinel_IsFollowedThroughAFailover_ToThePromotedReplica()
    {
        await using var master = await RedisServer.StartAsync();
        await using var replica = await RedisServer.StartAsync("--replicaof", "127.0.0.1", master.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var raw = await ConnectionMultiplexer.ConnectAsync(replica.Configuration + ",allowAdmin=true");
        Assert.True(await EventuallyAsync(async () => (await raw.GetServer(replica.Configuration).InfoRawAsync("replication"))?.Contains("master_link_status:up", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30)), "the replica did not catch up");
        await using var sentinel = await RedisServer.StartSentinelAsync(master);

        var options = new CoordinationOptions { Provider = "Redis", Redis = $"{sentinel.Configuration},serviceName=mymaster", OperationTimeout = TimeSpan.FromSeconds(1), BreakerFailures = 2, BreakerOpenFor = TimeSpan.FromSeconds(1) };
        var connection = _replicas.Own(new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance));
        var check = new CoordinationHealthCheck(connection);
        async ValueTask<bool> HealthyAsync() => (await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext())).Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy;
        Assert.True(await EventuallyAsync(HealthyAsync, TimeSpan.FromSeconds(30)), "not healthy through the Sentinel");
        var locks = RedisReplicas.Locks(connection, options);
        await using (var before = await locks.TryClaimAsync("bucket", "before the failover"))
        {
            Assert.NotNull(before);
            Assert.True(await raw.GetDatabase().KeyExistsAsync(RedisReplicas.FillKey("before the failover")), "the claim did not reach the master (seen on its replica)");
        }

        await master.StopAsync();
        // The Sentinel takes the master for down after a second and promotes the replica; the claims land there (meanwhile
        // they are granted locally, and released again here).
        async ValueTask<bool> AClaimLandsOnThePromotedReplicaAsync()
        {
            await using var claim = await locks.TryClaimAsync("bucket", "after the failover");
            try
            {
                return claim is not null && await raw.GetDatabase().KeyExistsAsync(RedisReplicas.FillKey("after the failover"));
            }
            catch (RedisConnectionException)
            {
                // The Sentinel disconnects the promoted replica's clients (this test's own look at it too); asked again.
                return false;
            }
        }
        Assert.True(await EventuallyAsync(AClaimLandsOnThePromotedReplicaAsync, TimeSpan.FromSeconds(60)), "no claim reached the promoted replica");
        Assert.Contains("role:master", await raw.GetServer(replica.Configuration).InfoRawAsync("replication"), StringComparison.Ordinal);
        Assert.True(await EventuallyAsync(HealthyAsync, TimeSpan.FromSeconds(30)), "not healthy after the failover");
    }

    /// <summary>The key of the first message <paramref name="to"/>'s bus hears from <paramref name="from"/>'s (published until it does: the subscription completes in the background).</summary>
    private static async Task<string> HeardOnTheBusAsync(RedisConnection from, RedisConnection to, string key)
    {
        var seen = new TaskCompletionSource<ClusterMessage>();
        new RedisClusterBus(to).Received += m => seen.TrySetResult(m);
        var publisher = new RedisClusterBus(from);
        for (var i = 0; i < 50 && !seen.Task.IsCompleted; i++)
        {
            publisher.Publish(new ClusterMessage(ClusterMessageKind.ObjectChanged, "bucket", key));
            await Task.Delay(100);
        }
        return (await seen.Task.WaitAsync(TimeSpan.FromSeconds(5))).Key;
    }

    /// <summary>
    /// A Redis Cluster of three masters (what managed Redis in cluster mode is): <c>Coordination:Redis</c> names its nodes and
    /// every call goes to the master of its key's slot — every script touches one key, so none is refused as CROSSSLOT. Claims
    /// spread over the masters and are exclusive across replicas, the distributed cache, counters and the bus work, and
    /// readiness is Healthy.
    /// </summary>
    [Fact]
    public async Task ARedisClusterOfThreeMasters_CoordinatesEverything_WithClaimsSpreadOverItsMasters()
    {
        var cli = ExternalTool.Require("redis-cli", "redis-tools");
        var work = TestPaths.NewTempDirectory("og-redis-cluster");
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(work, $"nodes-{i}.conf")));
            }
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(cli, ["--cluster", "create", .. nodes.Select(n => n.Configuration), "--cluster-replicas", "0", "--cluster-yes"]);
            Assert.True(exit == 0, $"redis-cli --cluster create: {stderr}{stdout}");
            await using var raw = await ConnectionMultiplexer.ConnectAsync(string.Join(',', nodes.Select(n => n.Configuration)) + ",allowAdmin=true");
            // Every node up, not only the first: a node that has not yet heard that all slots are covered answers every
            // command CLUSTERDOWN, also for its own slots (a claim sent there is granted locally).
            foreach (var node in nodes)
            {
                Assert.True(await EventuallyAsync(async () => (await raw.GetServer(node.Configuration).ExecuteAsync("CLUSTER", "INFO")).ToString().Contains("cluster_state:ok", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30)), $"the cluster did not come up on {node.Configuration}");
            }

            // A deadline that a loaded test machine does not miss: a missed one grants the claim locally.
            var options = new CoordinationOptions { Redis = string.Join(',', nodes.Select(n => n.Configuration)), OperationTimeout = TimeSpan.FromSeconds(2) };
            var a = _replicas.Own(new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance));
            var b = _replicas.Own(new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance));
            // Both replicas connected to the cluster before they claim (one that is not yet would grant itself every claim).
            foreach (var replica in new[] { a, b })
            {
                var check = new CoordinationHealthCheck(replica);
                Assert.True(await EventuallyAsync(async () => (await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext())).Status
                    == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, TimeSpan.FromSeconds(30)), "not healthy on the cluster");
            }

            var claims = new List<IAsyncDisposable>();
            for (var i = 0; i < 30; i++)
            {
                var claim = await RedisReplicas.Locks(a, options).TryClaimAsync("bucket", $"key-{i}");
                Assert.NotNull(claim);
                var second = await RedisReplicas.Locks(b, options).TryClaimAsync("bucket", $"key-{i}");
                Assert.True(second is null, $"key-{i} claimed by both replicas; their last Redis failures: {a.LastFailure ?? "none"} / {b.LastFailure ?? "none"}");
                claims.Add(claim);
            }
            // Thirty keys hash to slots on every master, each key on the one that owns its slot.
            var held = nodes.Select(n => raw.GetServer(n.Configuration).DatabaseSize()).ToList();
            Assert.True(held.All(count => count > 0), "claims per master: " + string.Join(", ", held));
            foreach (var claim in claims)
            {
                await claim.DisposeAsync();
            }
            Assert.NotNull(await RedisReplicas.Locks(b, options).TryClaimAsync("bucket", "key-0"));

            RedisReplicas.State(a).Set("fact", TimeSpan.FromMinutes(1));
            Assert.True(await EventuallyAsync(async () => await RedisReplicas.State(b).ContainsAsync("fact") == true));
            Assert.Equal(1, await RedisReplicas.State(a).IncrementAsync("counter", TimeSpan.FromMinutes(1)));
            Assert.Equal(2, await RedisReplicas.State(b).IncrementAsync("counter", TimeSpan.FromMinutes(1)));
            Assert.Equal("clustered", await HeardOnTheBusAsync(a, b, "clustered"));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AnAclUser_WithTheDefaultUserOff_CoordinatesEverything()
    {
        await using var server = await RedisServer.StartAsync("--user", "default", "off", "--user", "gateway", "on", ">gw-secret", "~*", "&*", "+@all");
        var options = new CoordinationOptions { Redis = server.Configuration + ",user=gateway,password=gw-secret" };
        var a = new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance);
        var b = new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance);
        _replicas.Own(a);
        _replicas.Own(b);

        // Claims, the distributed cache, counters and the bus all work as that user.
        var claim = await RedisReplicas.Locks(a, options).TryClaimAsync("bucket", "key");
        Assert.NotNull(claim);
        Assert.Null(await RedisReplicas.Locks(b, options).TryClaimAsync("bucket", "key"));
        await claim.DisposeAsync();
        RedisReplicas.State(a).Set("fact", TimeSpan.FromMinutes(1));
        Assert.True(await EventuallyAsync(async () => await RedisReplicas.State(b).ContainsAsync("fact") == true));
        Assert.Equal(1, await RedisReplicas.State(b).IncrementAsync("counter", TimeSpan.FromMinutes(1)));
        Assert.Equal("key", await HeardOnTheBusAsync(a, b, "key"));

        // Without the user's password nothing is shared: every call falls back at once.
        var anonymous = new RedisConnection(new CoordinationOptions { Redis = server.Configuration }, TimeProvider.System, NullLogger<RedisConnection>.Instance);
        _replicas.Own(anonymous);
        Assert.Null(await RedisReplicas.State(anonymous).ContainsAsync("fact"));
    }

    [Fact]
    public async Task AWrongPassword_IsWhatReadinessNames_NotAnUnreachableServer_AndTheRightOneIsHealthy()
    {
        // Before, a wrong password read "Redis cannot be reached" — every call just missed its deadline — and an operator
        // looked for a network fault. The client library knows better: its connection failed with AuthenticationFailure.
        const string secret = "redis-test-secret";
        await using var server = await RedisServer.StartAsync("--requirepass", secret);
        async Task<(RedisConnection Connection, string Readiness)> OpenAsync(string password)
        {
            var connection = new RedisConnection(new CoordinationOptions { Redis = $"{server.Configuration},password={password}", OperationTimeout = TimeSpan.FromMilliseconds(500) },
                TimeProvider.System, NullLogger<RedisConnection>.Instance);
            _replicas.Own(connection);
            var check = new CoordinationHealthCheck(connection);
            var readiness = "";
            await EventuallyAsync(async () =>
            {
                var result = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
                readiness = result.Status + " " + result.Description;
                return result.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy || connection.LastFailure is not null;
            }, TimeSpan.FromSeconds(15));
            return (connection, readiness);
        }

        var (wrong, wrongReadiness) = await OpenAsync("not-the-secret");
        Assert.StartsWith("Degraded Redis cannot be reached (AuthenticationFailure: ", wrongReadiness, StringComparison.Ordinal);
        Assert.Contains("NOAUTH", wrongReadiness, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", wrongReadiness, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, wrongReadiness, StringComparison.Ordinal);
        Assert.Null(await RedisReplicas.State(wrong).ContainsAsync("anything"));

        var (_, rightReadiness) = await OpenAsync(secret);
        Assert.Equal("Healthy ", rightReadiness);

        // A server that is gone is named as such.
        await server.StopAsync();
        var (gone, goneReadiness) = await OpenAsync(secret);
        Assert.StartsWith("Degraded Redis cannot be reached (UnableToConnect: ", goneReadiness, StringComparison.Ordinal);
        Assert.Null(await RedisReplicas.State(gone).ContainsAsync("anything"));
    }

    /// <summary>
    /// A Redis that is up but takes no write — full under <c>maxmemory</c> with the default <c>noeviction</c>, or a read-only
    /// replica after a failover left the gateway on the old primary — answered PING, so readiness said Healthy while every
    /// fill claim, shared 404 and rate-limit count fell back to the replica, and nothing was logged. Readiness now writes.
    /// </summary>
    [Fact]
    public async Task ARedisThatRefusesWrites_FullOrAReadOnlyReplica_IsNamedInReadinessAndLogged_AndHealthyOnceItTakesThemAgain()
    {
        var options = new CoordinationOptions { Provider = "Redis", Redis = Redis.Configuration, OperationTimeout = TimeSpan.FromSeconds(1), BreakerFailures = 2, BreakerOpenFor = TimeSpan.FromSeconds(1) };
        var logger = new RecordingLogger<RedisConnection>();
        var connection = _replicas.Own(new RedisConnection(options, TimeProvider.System, logger));
        var check = new CoordinationHealthCheck(connection);
        var readiness = "";
        async Task<bool> ReadinessAsync(Func<string, bool> holds, TimeSpan within)
        {
            return await EventuallyAsync(async () =>
            {
                var result = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
                readiness = result.Status + " " + result.Description;
                return holds(readiness);
            }, within);
        }
        Assert.True(await ReadinessAsync(r => r == "Healthy ", TimeSpan.FromSeconds(10)), readiness);

        // Full: more data than maxmemory allows, and nothing may be evicted.
        using var raw = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration + ",allowAdmin=true,abortConnect=false");
        var db = raw.GetDatabase();
        var filler = new string('x', 1024);
        await Task.WhenAll(Enumerable.Range(0, 3000).Select(i => db.StringSetAsync("another-app:" + i, filler)));
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", "1mb");
        Assert.True(await ReadinessAsync(r => r.StartsWith("Degraded Redis refuses writes (OOM command not allowed", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), readiness);
        Assert.Contains("coordination is local to this replica until it takes them again", readiness, StringComparison.Ordinal);
        // A fill claim falls back to this replica (granted locally; nothing in Redis).
        var claim = await RedisReplicas.Locks(connection, options).TryClaimAsync("bucket", "while full");
        Assert.NotNull(claim);
        Assert.False((await db.StringGetAsync(RedisReplicas.FillKey("while full"))).HasValue);
        await claim.DisposeAsync();
        var refused = Assert.Single(logger.Lines, l => l.EventId == LogEvents.RedisRefused);
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Contains("OOM command not allowed", refused.Message, StringComparison.Ordinal);

        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");
        Assert.True(await ReadinessAsync(r => r == "Healthy ", TimeSpan.FromSeconds(10)), readiness);

        // A read-only replica: it answers every read (and PING) and refuses every write.
        await using var primary = await RedisServer.StartAsync();
        var primaryPort = primary.Configuration[(primary.Configuration.LastIndexOf(':') + 1)..];
        await db.ExecuteAsync("REPLICAOF", "127.0.0.1", primaryPort);
        Assert.True(await ReadinessAsync(r => r.StartsWith("Degraded Redis refuses writes (READONLY ", StringComparison.Ordinal), TimeSpan.FromSeconds(15)), readiness);
        await db.ExecuteAsync("REPLICAOF", "NO", "ONE");
        Assert.True(await ReadinessAsync(r => r == "Healthy ", TimeSpan.FromSeconds(10)), readiness);
        // Logged once a minute at most: the replica's refusals came within the minute of the first line.
        Assert.Single(logger.Lines, l => l.EventId == LogEvents.RedisRefused);
    }

    [Fact]
    public async Task OverTls_WithAPrivateAuthority_AndAClientCertificate_CoordinatesEverything()
    {
        using var certificates = TestCertificates.Create();
        await using var server = await RedisServer.StartWithTlsAsync(certificates.ServerCertificate, certificates.ServerKey, certificates.CaFile, requireClientCertificates: true);
        RedisConnection Open(string ca, bool clientCertificate)
        {
            var options = new CoordinationOptions
            {
                Redis = server.Configuration + ",ssl=true,sslHost=127.0.0.1",
                TlsCaCertificate = ca,
                TlsClientCertificate = clientCertificate ? certificates.ClientCertificate : "",
                TlsClientKey = clientCertificate ? certificates.ClientKey : "",
                OperationTimeout = TimeSpan.FromSeconds(2),
            };
            var connection = new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance);
            _replicas.Own(connection);
            return connection;
        }

        var a = Open(certificates.CaFile, clientCertificate: true);
        var b = Open(certificates.CaFile, clientCertificate: true);
        Assert.True(await EventuallyAsync(() => ValueTask.FromResult(a.Multiplexer.IsConnected && b.Multiplexer.IsConnected)), "TLS connections with the private CA and a client certificate did not come up");
        var options = new CoordinationOptions();
        var claim = await RedisReplicas.Locks(a, options).TryClaimAsync("bucket", "tls-key");
        Assert.NotNull(claim);
        Assert.Null(await RedisReplicas.Locks(b, options).TryClaimAsync("bucket", "tls-key"));
        await claim.DisposeAsync();
        RedisReplicas.State(a).Set("over-tls", TimeSpan.FromMinutes(1));
        Assert.True(await EventuallyAsync(async () => await RedisReplicas.State(b).ContainsAsync("over-tls") == true));

        // The server's certificate is checked: trusting another authority, nothing connects; without a
        // client certificate the server refuses. Both fall back, neither shares state.
        var wrongAuthority = Open(certificates.StrangerCaFile, clientCertificate: true);
        var noClientCertificate = Open(certificates.CaFile, clientCertificate: false);
        await Task.Delay(1500);
        Assert.False(wrongAuthority.Multiplexer.IsConnected);
        Assert.False(noClientCertificate.Multiplexer.IsConnected);
        Assert.Null(await RedisReplicas.State(wrongAuthority).ContainsAsync("over-tls"));
        Assert.Null(await RedisReplicas.State(noClientCertificate).ContainsAsync("over-tls"));
    }
}
