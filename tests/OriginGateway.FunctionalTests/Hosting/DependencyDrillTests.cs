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
    /// <summary>The settings of the S3 drills: a 1 s storage deadline, no lookup cache, 5 MiB parts.</summary>
    private static readonly string[] S3Drill = ["--Buckets:0:Storage:Timeout=00:00:01", "--Buckets:0:Storage:CacheTtl=00:00:00", "--Buckets:0:Storage:PartSize=5242880"];

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
            _set.Slow.ServeSlowly($"/drill/task-{i}.bin", Encoding.UTF8.GetBytes($"task body {i}"), 2, TimeSpan.FromMilliseconds(300));
            ids.Add((await tasks.SubmitAsync(new { Url = $"http://{_set.Slow.Host}/drill/task-{i}.bin", Key = $"drill/task-{i}.bin" })).TaskId);
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
        var rules = _set.Rules("n/");
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

    /// <summary>
    /// PostgreSQL frozen (SIGSTOP of every process of the cluster) for 5 s: hits keep coming, the APIs that
    /// need it answer 503 within the database deadline, readiness names the database within seconds and
    /// turns back after the thaw.
    /// </summary>
    [Fact]
    public async Task PostgresFrozen_HitsAreServed_ApisFailIn503WithinTheDeadline_ReadinessNamesTheDatabase()
    {
        await using var set = ReplicaSet.With("--Database:Timeout=00:00:01");
        await set.InitializeAsync();
        var (a, b) = (set.A, set.B);
        Assert.Equal(HttpStatusCode.OK, (await a.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(a.DataUrl, "pgfrozen/a.txt")) { Content = CosSigner.Bytes("kept"u8.ToArray()) }.Sign())).StatusCode);
        set.Postgres.Freeze();
        try
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 20; i++)
            {
                var replica = i % 2 == 0 ? a : b;
                Assert.Equal("kept", await replica.Client.GetStringAsync(new Uri(replica.DataUrl, "pgfrozen/a.txt")));
            }
            output.WriteLine($"20 hits with PostgreSQL frozen in {clock.ElapsedMilliseconds} ms");
            // Hits never need the database: threads blocked on it must not hold them up (2.9 s for these 20 before the pool was sized for it).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"20 hits took {clock.ElapsedMilliseconds} ms with the database frozen");
            var started = clock.Elapsed;
            var rules = set.Rules();
            var put = await b.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(b.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
            var took = clock.Elapsed - started;
            output.WriteLine($"PUT ?origin with PostgreSQL frozen: {(int)put.StatusCode} in {took.TotalMilliseconds:F0} ms");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
            Assert.True(took < TimeSpan.FromSeconds(10), $"PUT ?origin waited {took} with a 1 s database deadline");
            foreach (var replica in new[] { a, b })
            {
                HttpResponseMessage ready;
                var until = clock.Elapsed + TimeSpan.FromSeconds(10);
                while ((ready = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.ServiceUnavailable && clock.Elapsed < until && await Delay(200))
                {
                }
                var body = await ready.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Contains("database: Unhealthy", body, StringComparison.Ordinal);
                Assert.Contains("coordination: Healthy", body, StringComparison.Ordinal);
            }
        }
        finally
        {
            set.Postgres.Thaw();
        }
        var thawed = Stopwatch.StartNew();
        foreach (var replica in new[] { a, b })
        {
            while ((await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.OK && thawed.Elapsed < TimeSpan.FromSeconds(30) && await Delay(200))
            {
            }
        }
        output.WriteLine($"both ready {thawed.ElapsedMilliseconds} ms after the thaw");
        Assert.Equal(HttpStatusCode.OK, (await a.Client.GetAsync(new Uri(a.ControlUrl, "readyz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(b.DataUrl, "?origin")).Sign())).StatusCode == HttpStatusCode.OK ? HttpStatusCode.OK : HttpStatusCode.NotFound);
        Assert.False(a.HasExited || b.HasExited);
    }

    /// <summary>
    /// S3 frozen (SIGSTOP) past the storage deadline under both replicas: every request that needs it fails
    /// with a retryable 503 within its deadline instead of hanging, readiness answers at once naming the
    /// store, and both turn back as soon as S3 runs again.
    /// </summary>
    [Fact]
    public async Task S3FrozenPastTheDeadline_RequestsFailWith503InTime_ReadinessNamesTheStore_AndRecovers()
    {
        await using var set = ReplicaSet.With(S3Drill);
        await set.InitializeAsync();
        var (a, b) = (set.A, set.B);
        Assert.Equal(HttpStatusCode.OK, (await a.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(a.DataUrl, "frozen/a.txt")) { Content = CosSigner.Bytes("before"u8.ToArray()) }.Sign())).StatusCode);
        foreach (var replica in new[] { a, b })
        {
            await WhileUnavailableAsync(async () => Assert.StartsWith("Healthy\n", await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "readyz")), StringComparison.Ordinal));
        }

        await set.S3.FreezeAsync();
        var clock = Stopwatch.StartNew();
        var calls = new (string Name, GatewayProcess Replica, Func<GatewayProcess, HttpRequestMessage> Request)[]
        {
            ("GET", a, r => new HttpRequestMessage(HttpMethod.Get, new Uri(r.DataUrl, "frozen/a.txt"))),
            ("HEAD", b, r => new HttpRequestMessage(HttpMethod.Head, new Uri(r.DataUrl, "frozen/a.txt"))),
            ("PUT", a, r => new HttpRequestMessage(HttpMethod.Put, new Uri(r.DataUrl, "frozen/b.txt")) { Content = CosSigner.Bytes(new byte[100_000]) }.Sign()),
            ("DELETE", b, r => new HttpRequestMessage(HttpMethod.Delete, new Uri(r.DataUrl, "frozen/a.txt")).Sign()),
            ("LIST", a, r => new HttpRequestMessage(HttpMethod.Get, new Uri(r.DataUrl, "?prefix=frozen/")).Sign()),
            ("multipart initiate", b, r => new HttpRequestMessage(HttpMethod.Post, new Uri(r.DataUrl, "frozen/c.bin?uploads")).Sign()),
            ("copy", a, r =>
            {
                var copy = new HttpRequestMessage(HttpMethod.Put, new Uri(r.DataUrl, "frozen/copy.txt"));
                copy.Headers.Add("x-cos-copy-source", $"/{GatewayProcess.DefaultBucket}/frozen/a.txt");
                return copy.Sign();
            }),
            ("Mirror miss", b, r => new HttpRequestMessage(HttpMethod.Get, new Uri(r.DataUrl, "m/frozen-miss.txt"))),
        };
        set.Origin.Serve("/m/frozen-miss.txt", "mirrored"u8.ToArray(), "text/plain");
        foreach (var (name, replica, request) in calls)
        {
            var started = clock.Elapsed;
            using var response = await replica.Client.SendAsync(request(replica));
            var took = clock.Elapsed - started;
            var text = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{name} with S3 frozen: {(int)response.StatusCode} in {took.TotalMilliseconds:F0} ms");
            Assert.True(took < TimeSpan.FromSeconds(10), $"{name} waited {took} on a frozen store with a 1 s deadline");
            if (name == "Mirror miss")
            {
                // The origin's answer is served; only its storing fails.
                Assert.True(response.StatusCode == HttpStatusCode.OK ? text == "mirrored" : response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {text}");
                continue;
            }
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{name}: {(int)response.StatusCode} {text}");
            if (name != "HEAD")
            {
                Assert.Equal("ServiceUnavailable", XDocument.Parse(text).Root!.Element("Code")!.Value);
            }
        }

        // Readiness answers at once on both replicas, and says what is wrong.
        foreach (var replica in new[] { a, b })
        {
            HttpResponseMessage ready;
            string body;
            var deadline = clock.Elapsed + TimeSpan.FromSeconds(10);
            do
            {
                var asked = clock.Elapsed;
                ready = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"));
                body = await ready.Content.ReadAsStringAsync();
                Assert.True(clock.Elapsed - asked < TimeSpan.FromSeconds(1.5), $"/readyz took {(clock.Elapsed - asked).TotalMilliseconds:F0} ms");
            }
            while (ready.StatusCode != HttpStatusCode.ServiceUnavailable && clock.Elapsed < deadline && await Delay(200));
            output.WriteLine(body);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("stores: Unhealthy", body, StringComparison.Ordinal);
            Assert.Contains("database: Healthy", body, StringComparison.Ordinal);
            var metrics = await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "metrics"));
            Assert.Contains("origin_gateway_dependency_up{dependency=\"stores\"} 0", metrics, StringComparison.Ordinal);
        }

        await set.S3.ThawAsync();
        var thawed = clock.Elapsed;
        foreach (var replica in new[] { a, b })
        {
            HttpResponseMessage ready;
            while ((ready = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.OK && clock.Elapsed - thawed < TimeSpan.FromSeconds(30) && await Delay(200))
            {
            }
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        var back = clock.Elapsed - thawed;
        output.WriteLine($"both ready again {back.TotalMilliseconds:F0} ms after S3 was thawed");
        Assert.True(back < TimeSpan.FromSeconds(15), $"ready again only after {back}");
        await WhileUnavailableAsync(async () => Assert.Equal("before", await b.Client.GetStringAsync(new Uri(b.DataUrl, "frozen/a.txt"))));
        await WhileUnavailableAsync(async () => (await a.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(a.DataUrl, "frozen/b.txt")) { Content = CosSigner.Bytes("after"u8.ToArray()) }.Sign())).EnsureSuccessStatusCode());
        Assert.False(a.HasExited || b.HasExited);
    }

    /// <summary>
    /// S3 killed while a Mirror fill streams into it and a client PUT streams into a multipart upload, then
    /// restarted: neither client is told success, the PUT is not blamed on the client, nothing partial is
    /// ever visible, readiness names the store during the outage, and everything works again after.
    /// </summary>
    [Fact]
    public async Task S3KilledMidFillAndMidUpload_ThenRestarted_NothingPartial_TrueErrors_AndRecovery()
    {
        await using var set = ReplicaSet.With(S3Drill);
        await set.InitializeAsync();
        var (s3, origin, gateway, other) = (set.S3, set.Slow, set.A, set.B);
        var mirrored = System.Security.Cryptography.RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        origin.ServeSlowly("/s/cut.bin", mirrored, 256 * 1024, TimeSpan.FromMilliseconds(100));
        var uploaded = System.Security.Cryptography.RandomNumberGenerator.GetBytes(12 * 1024 * 1024);

        var mirror = Task.Run(async () =>
        {
            try
            {
                using var response = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "s/cut.bin"));
                var bytes = await response.Content.ReadAsByteArrayAsync();
                return response.StatusCode == HttpStatusCode.OK && bytes.AsSpan().SequenceEqual(mirrored) ? "whole" : $"{(int)response.StatusCode} with {bytes.Length} bytes";
            }
            catch (HttpRequestException e)
            {
                return "cut: " + e.Message;
            }
        });
        var upload = Task.Run(async () =>
        {
            var put = new HttpRequestMessage(HttpMethod.Put, new Uri(other.DataUrl, "up/cut.bin")) { Content = new SlowContent(uploaded, 512 * 1024, TimeSpan.FromMilliseconds(100)) };
            try
            {
                using var response = await other.Client.SendAsync(put.Sign());
                return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + await response.Content.ReadAsStringAsync();
            }
            catch (HttpRequestException e)
            {
                return "cut: " + e.Message;
            }
        });
        await Task.Delay(1500);
        await s3.KillAsync();
        var mirrorEnd = await mirror;
        var uploadEnd = await upload;
        output.WriteLine($"mirror client: {mirrorEnd}\nupload client: {uploadEnd}");
        Assert.NotEqual("whole", mirrorEnd);
        Assert.True(uploadEnd.StartsWith("503", StringComparison.Ordinal) || uploadEnd.StartsWith("cut", StringComparison.Ordinal), uploadEnd);
        if (uploadEnd.StartsWith("503", StringComparison.Ordinal))
        {
            Assert.Contains("<Code>ServiceUnavailable</Code>", uploadEnd, StringComparison.Ordinal);
        }

        var ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (ready.StatusCode != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < until && await Delay(100))
        {
            ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("stores: Unhealthy", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await s3.RestartAsync();
        Assert.False(gateway.HasExited || other.HasExited);
        var restarted = Stopwatch.StartNew();
        while ((ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.OK && restarted.Elapsed < TimeSpan.FromSeconds(20) && await Delay(100))
        {
        }
        output.WriteLine($"ready {restarted.ElapsedMilliseconds} ms after S3 started again");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // Nothing partial is visible; both keys are absent (or, for the fill, whole).
        var head = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, "up/cut.bin")).Sign());
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        var filled = await other.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(other.DataUrl, "s/cut.bin")).Sign());
        Assert.True(filled.StatusCode == HttpStatusCode.NotFound || filled.Content.Headers.ContentLength == mirrored.Length, $"{filled.StatusCode} {filled.Content.Headers.ContentLength}");
        var listing = XDocument.Parse(await (await other.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(other.DataUrl, "?prefix=up/")).Sign())).Content.ReadAsStringAsync());
        foreach (var o in listing.Root!.Elements("Contents"))
        {
            Assert.Fail($"{o} is in the store");
        }
        // And both work again.
        await WhileUnavailableAsync(async () => Assert.Equal(mirrored, await other.Client.GetByteArrayAsync(new Uri(other.DataUrl, "s/cut.bin"))));
        await WhileUnavailableAsync(async () => (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "up/cut.bin")) { Content = CosSigner.Bytes(uploaded) }.Sign())).EnsureSuccessStatusCode());
        Assert.Equal(uploaded, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, "up/cut.bin")));
        // The cut PUT's multipart upload is aborted once S3 is back (its abort is retried with back-off).
        var aborted = Stopwatch.StartNew();
        while (s3.OpenMultipartUploads(ReplicaSet.S3Bucket).Count > 0 && aborted.Elapsed < TimeSpan.FromSeconds(30) && await Delay(200))
        {
        }
        Assert.Empty(s3.OpenMultipartUploads(ReplicaSet.S3Bucket));
        Assert.False(gateway.HasExited || other.HasExited);
    }

    /// <summary>
    /// A replica killed while it streams a large PUT into an S3 multipart upload leaves that upload behind;
    /// the sweep of another replica aborts it once it is older than <c>StaleUploadsAfter</c> — and not before.
    /// </summary>
    [Fact]
    public async Task AnUploadLeftByAKilledReplica_IsAbortedByTheSweep_OnceStale()
    {
        await using var s3 = await S3Server.StartAsync("gateway");
        string[] settings = [.. S3Server.GatewaySettings(s3), "--Buckets:0:Storage:PartSize=5242880", "--Multipart:SweepInterval=00:00:01"];
        await using (var victim = await GatewayProcess.StartAsync(settings))
        {
            var put = new HttpRequestMessage(HttpMethod.Put, new Uri(victim.DataUrl, "left/behind.bin")) { Content = new SlowContent(new byte[12 * 1024 * 1024], 512 * 1024, TimeSpan.FromMilliseconds(100)) };
            var sending = victim.Client.SendAsync(put.Sign());
            var clock = Stopwatch.StartNew();
            while (s3.OpenMultipartUploads("gateway").Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(20) && await Delay(100))
            {
            }
            Assert.Single(s3.OpenMultipartUploads("gateway"));
            await victim.StopAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => sending);
        }

        // A replica whose threshold (the default, a day) the upload has not reached leaves it alone.
        await using (var young = await GatewayProcess.StartAsync(settings))
        {
            await Task.Delay(3000);
            Assert.Single(s3.OpenMultipartUploads("gateway"));
        }
        await using var sweeper = await GatewayProcess.StartAsync([.. settings, "--Buckets:0:Storage:StaleUploadsAfter=00:00:01"]);
        var swept = Stopwatch.StartNew();
        while (s3.OpenMultipartUploads("gateway").Count > 0 && swept.Elapsed < TimeSpan.FromSeconds(20) && await Delay(200))
        {
        }
        Assert.Empty(s3.OpenMultipartUploads("gateway"));
        Assert.True(await sweeper.WaitForOutputAsync("abandoned multipart uploads the object store held", TimeSpan.FromSeconds(5)), sweeper.Output);
        Assert.Equal(HttpStatusCode.NotFound, (await sweeper.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(sweeper.DataUrl, "left/behind.bin")).Sign())).StatusCode);
    }

    /// <summary>
    /// Redis killed in the middle of a herd across both replicas: every client still gets the whole object,
    /// each replica fills it at most once, readiness says Degraded (still 200) and Healthy again once Redis
    /// is back.
    /// </summary>
    [Fact]
    public async Task RedisKilledDuringAHerd_EveryClientGetsTheBytes_ReadinessDegradedThenHealthy()
    {
        var body = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        _set.Slow.ServeSlowly("/s/herd-drill.bin", body, 256 * 1024, TimeSpan.FromMilliseconds(150));
        var clients = Enumerable.Range(0, 40).Select(async i =>
        {
            await Task.Delay(i * 25);
            var replica = i % 2 == 0 ? _set.A : _set.B;
            using var response = await replica.Client.GetAsync(new Uri(replica.DataUrl, "s/herd-drill.bin"));
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var firstDifference = bytes.AsSpan().CommonPrefixLength(body);
            return (i, response.StatusCode, Whole: bytes.AsSpan().SequenceEqual(body), bytes.Length, firstDifference);
        }).ToList();
        await Task.Delay(500);
        await _set.Redis.StopAsync();
        var results = await Task.WhenAll(clients);

        if (!results.All(r => r.StatusCode == HttpStatusCode.OK && r.Whole))
        {
            output.WriteLine("A:\n" + _set.A.Output + "\nB:\n" + _set.B.Output);
        }
        Assert.All(results, r => Assert.True(r.StatusCode == HttpStatusCode.OK && r.Whole, $"client {r.i}: {r.StatusCode}, {r.Length} bytes, the first {r.firstDifference} as the object's"));
        output.WriteLine($"origin requests for the herd: {_set.Slow.Count("/s/herd-drill.bin")}");
        Assert.InRange(_set.Slow.Count("/s/herd-drill.bin"), 1, 2);
        foreach (var replica in new[] { _set.A, _set.B })
        {
            var ready = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"));
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!(await ready.Content.ReadAsStringAsync()).StartsWith("Degraded", StringComparison.Ordinal) && DateTime.UtcNow < until && await Delay(100))
            {
                ready = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"));
            }
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("coordination: Degraded", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await _set.Redis.StartAgainAsync();
        output.WriteLine($"both Healthy {(await BothHealthyAsync(_set)).TotalMilliseconds:F0} ms after Redis started again");
        Assert.False(_set.A.HasExited || _set.B.HasExited);
    }

    /// <summary>
    /// Redis frozen (SIGSTOP: its connections stay open and nothing answers, as with a hung host) while both replicas
    /// take cold misses and a herd, for longer than the breaker's break (so it probes the frozen server once): until the
    /// breaker opens a miss waits for Redis at most the coordination deadline (500 ms) per call — the shared 404 lookup, its
    /// claim, its release — and after that not at all (a hang, or the client library's own 5 s timeouts, fail the bound),
    /// every client gets the whole object, each replica fills the herd's key at most once, an origin 404 is remembered by
    /// the replica that saw it, readiness says Degraded (still 200). Once Redis runs
    /// again both replicas are Healthy, and two replicas missing one key share one origin fetch again.
    /// </summary>
    [Fact]
    public async Task RedisFrozen_MissesAndAHerdAreServedWithoutWaitingOnIt_ReadinessDegraded_AndFillsAreSharedAgainAfterTheThaw()
    {
        // The shared negative cache on: a miss also asks Redis whether another replica saw the key's 404.
        await using var set = ReplicaSet.With("--OriginPull:NegativeCacheTtl=00:01:00");
        await set.InitializeAsync();
        var keys = Enumerable.Range(0, 20).Select(i => $"m/frozen-{i}.txt").ToList();
        foreach (var key in keys)
        {
            set.Origin.Serve("/" + key, Encoding.UTF8.GetBytes("body of " + key), "text/plain");
        }
        var herd = System.Security.Cryptography.RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        set.Slow.ServeSlowly("/s/frozen-herd.bin", herd, 256 * 1024, TimeSpan.FromMilliseconds(100));
        async Task<(string Key, HttpStatusCode Status, string Body, TimeSpan Took)> GetAsync(GatewayProcess replica, string key)
        {
            var clock = Stopwatch.StartNew();
            using var response = await replica.Client.GetAsync(new Uri(replica.DataUrl, key));
            return (key, response.StatusCode, await response.Content.ReadAsStringAsync(), clock.Elapsed);
        }

        // A running gateway: each replica has made one miss (its first pays for compiling the path).
        foreach (var replica in new[] { set.A, set.B })
        {
            var key = $"m/warm-{replica.DataUrl.Port}.txt";
            set.Origin.Serve("/" + key, Encoding.UTF8.GetBytes("body of " + key), "text/plain");
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(replica, key)).Status);
        }

        await set.Redis.FreezeAsync();
        var frozen = Stopwatch.StartNew();
        try
        {
            // Every key from both replicas at once: each claim asks the frozen Redis until the breaker opens.
            var misses = await Task.WhenAll(keys.SelectMany(key => new[] { set.A, set.B }.Select(replica => GetAsync(replica, key))));
            Assert.All(misses, m => Assert.True(m.Status == HttpStatusCode.OK && m.Body == "body of " + m.Key, $"{m.Key}: {m.Status} {m.Body}"));
            var slowest = misses.Max(m => m.Took);
            output.WriteLine($"40 misses while Redis was frozen, slowest {slowest.TotalMilliseconds:F0} ms");
            Assert.True(slowest < TimeSpan.FromSeconds(5), $"a miss waited {slowest.TotalMilliseconds:F0} ms on the frozen Redis");

            var herdClients = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                var replica = i % 2 == 0 ? set.A : set.B;
                using var response = await replica.Client.GetAsync(new Uri(replica.DataUrl, "s/frozen-herd.bin"));
                return (response.StatusCode, Whole: (await response.Content.ReadAsByteArrayAsync()).AsSpan().SequenceEqual(herd));
            }));
            Assert.All(herdClients, r => Assert.True(r.StatusCode == HttpStatusCode.OK && r.Whole, $"{r.StatusCode}, whole: {r.Whole}"));
            Assert.InRange(set.Slow.Count("/s/frozen-herd.bin"), 1, 2);

            // The origin's 404 is remembered by the replica that saw it, though it cannot be shared now.
            for (var i = 0; i < 2; i++)
            {
                var (_, status, _, took) = await GetAsync(set.A, "m/frozen-absent.txt");
                Assert.Equal(HttpStatusCode.NotFound, status);
                Assert.True(took < TimeSpan.FromSeconds(5), $"a 404 waited {took.TotalMilliseconds:F0} ms on the frozen Redis");
            }
            Assert.Equal(1, set.Origin.Count("/m/frozen-absent.txt"));

            foreach (var replica in new[] { set.A, set.B })
            {
                using var ready = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"));
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                Assert.Contains("coordination: Degraded", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // Past the breaker's 5 s break: its probe goes to the frozen server, and hits and new misses still do not wait on it.
            var later = 0;
            while (frozen.Elapsed < TimeSpan.FromSeconds(7))
            {
                foreach (var replica in new[] { set.A, set.B })
                {
                    var fresh = $"m/frozen-late-{later}.txt";
                    set.Origin.Serve("/" + fresh, Encoding.UTF8.GetBytes("body of " + fresh), "text/plain");
                    foreach (var key in new[] { keys[later % keys.Count], fresh })
                    {
                        var (_, status, body, took) = await GetAsync(replica, key);
                        Assert.True(status == HttpStatusCode.OK && body == "body of " + key, $"{key}: {status} {body}");
                        Assert.True(took < TimeSpan.FromSeconds(5), $"{key} waited {took.TotalMilliseconds:F0} ms on the frozen Redis");
                    }
                    later++;
                }
                await Task.Delay(100);
            }
            output.WriteLine($"{later} more requests until {frozen.ElapsedMilliseconds} ms into the freeze");
        }
        finally
        {
            await set.Redis.ThawAsync();
        }

        output.WriteLine($"both Healthy {(await BothHealthyAsync(set)).TotalMilliseconds:F0} ms after the thaw");

        // Coordinated again: A's fill of a new key holds its claim in Redis, and B's miss of it waits for that fill. A claim
        // Redis does not answer within the 500 ms deadline is granted on the replica alone, by design — on a loaded machine
        // right after the thaw that can happen, and both replicas then fetch: the gateway counts each such grant
        // (fill_claims_total{outcome="local"}). Such a try is repeated with a new key; a second fetch no grant explains fails.
        for (var attempt = 1; ; attempt++)
        {
            var path = $"/s/after-thaw-{attempt}.bin";
            var localBefore = await LocalClaimsAsync(set);
            var after = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024 * 1024);
            set.Slow.ServeSlowly(path, after, 128 * 1024, TimeSpan.FromMilliseconds(100));
            var first = set.A.Client.GetByteArrayAsync(new Uri(set.A.DataUrl, path[1..]));
            var started = Stopwatch.StartNew();
            while (set.Slow.Count(path) == 0 && started.Elapsed < TimeSpan.FromSeconds(10) && await Delay(20))
            {
            }
            var second = set.B.Client.GetByteArrayAsync(new Uri(set.B.DataUrl, path[1..]));
            Assert.True((await first).AsSpan().SequenceEqual(after));
            Assert.True((await second).AsSpan().SequenceEqual(after));
            var fetches = set.Slow.Count(path);
            if (fetches == 1)
            {
                break;
            }
            var localAfter = await LocalClaimsAsync(set);
            output.WriteLine($"{path}: {fetches} origin fetches, claims granted without Redis {localBefore} -> {localAfter}");
            Assert.True(localAfter > localBefore, $"{path} was fetched {fetches} times though Redis answered every claim");
            Assert.True(attempt < 3, $"three keys after the thaw were each fetched by both replicas: {fetches} fetches of the last");
        }
        Assert.False(set.A.HasExited || set.B.HasExited);
    }

    /// <summary>A request body sent a chunk at a time, as a slow client sends it.</summary>
    private sealed class SlowContent(byte[] body, int chunk, TimeSpan delay) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var offset = 0; offset < body.Length; offset += chunk)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(chunk, body.Length - offset)));
                await stream.FlushAsync();
                await Task.Delay(delay);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    /// <summary>
    /// Runs <paramref name="step"/> until it passes, for at most 15 s: with the drills' 1 s store deadline, a busy
    /// machine can make the S3 server (a Node process catching up after its outage) miss it once more, and the
    /// gateway then answers 503 ServiceUnavailable — "retry the request" — or cuts a body it could not store, as it
    /// must. A client retries those; a gateway that does not recover still fails here, with the last error.
    /// </summary>
    private async Task WhileUnavailableAsync(Func<Task> step)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await step();
                return;
            }
            catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.ServiceUnavailable or null && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                output.WriteLine($"retried after {clock.ElapsedMilliseconds} ms: {e.Message}");
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Waits (at most 30 s) until both replicas' readiness says Healthy again; how long that took.</summary>
    private static async Task<TimeSpan> BothHealthyAsync(ReplicaSet set)
    {
        var back = Stopwatch.StartNew();
        foreach (var replica in new[] { set.A, set.B })
        {
            while (!(await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "readyz"))).StartsWith("Healthy", StringComparison.Ordinal) && back.Elapsed < TimeSpan.FromSeconds(30) && await Delay(100))
            {
            }
            Assert.StartsWith("Healthy", await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "readyz")), StringComparison.Ordinal);
        }
        return back.Elapsed;
    }

    /// <summary>Both replicas' fill claims granted without Redis, from their <c>/metrics</c>.</summary>
    private static async Task<double> LocalClaimsAsync(ReplicaSet set)
    {
        const string Series = "origin_gateway_fill_claims_total{outcome=\"local\"} ";
        double total = 0;
        foreach (var replica in new[] { set.A, set.B })
        {
            var text = await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "metrics"));
            total += text.Split('\n').Where(l => l.StartsWith(Series, StringComparison.Ordinal))
                .Sum(l => double.Parse(l[Series.Length..], System.Globalization.CultureInfo.InvariantCulture));
        }
        return total;
    }

    private static async Task<bool> Delay(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return true;
    }
}
