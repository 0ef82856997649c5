using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// Everything two replicas share, each a real server started by the test: a private PostgreSQL
/// cluster (control database), redis-server (coordination), s3rver (objects), a WireMock.Net origin (rule <c>m/</c>) and an origin of slow bodies (rule <c>s/</c>).
/// </summary>
public sealed class ReplicaSet : IAsyncLifetime, IAsyncDisposable
{
    private readonly string[] _settings;

    /// <summary>The set the two-replica tests share as a class fixture (no extra settings; xUnit needs one public constructor).</summary>
    public ReplicaSet()
        : this([])
    {
    }

    private ReplicaSet(string[] settings) => _settings = settings;

    /// <summary>A set whose replicas take extra settings (a drill's deadlines, say).</summary>
    public static ReplicaSet With(params string[] settings) => new(settings);

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public const string S3Bucket = "replicas";

    private readonly PostgresFixture _postgres = new();
    private string _database = "";

    public PostgresFixture Postgres => _postgres;

    public RedisServer Redis { get; private set; } = null!;

    public S3Server S3 { get; private set; } = null!;

    public WireMockOrigin Origin { get; private set; } = null!;

    public SlowOrigin Slow { get; private set; } = null!;

    public GatewayProcess A { get; private set; } = null!;

    public GatewayProcess B { get; private set; } = null!;

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        _servers.Add(_postgres);
        _database = _postgres.NewDatabase();
        Redis = await _servers.AddAsync(RedisServer.StartAsync());
        S3 = await _servers.AddAsync(S3Server.StartAsync(S3Bucket));
        Origin = _servers.Add(WireMockOrigin.Start());
        Slow = await _servers.AddAsync(SlowOrigin.StartAsync());
        A = await _servers.AddAsync(StartReplicaAsync());
        B = await _servers.AddAsync(StartReplicaAsync());
        Assert.Equal(HttpStatusCode.OK, (await A.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(A.DataUrl, "?origin")) { Content = new StringContent(Rules()) }.Sign())).StatusCode);
    });

    /// <summary>The set's rules: <c>m/</c> mirrored from <see cref="Origin"/>, <c>s/</c> from <see cref="Slow"/>, then any more (mirrored from <see cref="Origin"/>).</summary>
    public string Rules(params string[] morePrefixes) => OriginPullFixture.Rules(
    [
        OriginPullFixture.Rule(1, "Mirror", "m/", Origin.Host),
        OriginPullFixture.Rule(2, "Mirror", "s/", Slow.Host),
        .. morePrefixes.Select((prefix, i) => OriginPullFixture.Rule(3 + i, "Mirror", prefix, Origin.Host)),
    ]);

    /// <summary>One more replica of the set (its own data directory and ports).</summary>
    public Task<GatewayProcess> StartReplicaAsync(params string[] extra) => StartReplicaAsync(null, extra);

    /// <summary>One more replica of the set, with more environment variables for its process.</summary>
    public Task<GatewayProcess> StartReplicaAsync(IReadOnlyDictionary<string, string>? variables, params string[] extra) => GatewayProcess.StartAsync(
    [
        "--Database:Provider=Postgres",
        $"--Database:ConnectionString={_database}",
        "--Coordination:Provider=Redis",
        $"--Coordination:Redis={Redis.Configuration}",
        "--Buckets:0:Storage:Kind=S3",
        $"--Buckets:0:Storage:ServiceUrl={S3.Endpoint}",
        $"--Buckets:0:Storage:BucketName={S3Bucket}",
        $"--Buckets:0:Storage:AccessKey={S3Server.AccessKey}",
        $"--Buckets:0:Storage:SecretKey={S3Server.SecretKey}",
        "--Egress:AllowedNetworks:0=127.0.0.1/32",
        "--Tasks:Lease=00:00:04",
        "--Tasks:PollInterval=00:00:00.200",
        .. _settings,
        .. extra,
    ], variables: variables);

    public async Task DisposeAsync() => await _servers.DisposeAsync();
}

/// <summary>Two gateway processes sharing PostgreSQL, Redis and an S3 server act as one gateway.</summary>
public sealed class MultiReplicaTests(ReplicaSet set, ITestOutputHelper output) : IClassFixture<ReplicaSet>
{
    [Fact]
    public async Task AnOriginConfigurationPutThroughA_IsUsedByB_WithinTwoSeconds()
    {
        set.Origin.Serve("/cfg/x.txt", "configured"u8.ToArray(), "text/plain");
        var rules = set.Rules("cfg/");
        Assert.Equal(HttpStatusCode.NotFound, (await set.B.Client.GetAsync(new Uri(set.B.DataUrl, "cfg/x.txt"))).StatusCode);

        var put = await set.A.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(set.A.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage get;
        do
        {
            get = await set.B.Client.GetAsync(new Uri(set.B.DataUrl, "cfg/x.txt"));
        }
        while (get.StatusCode != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(5) && await Delay(50));
        output.WriteLine($"B used the new rule {clock.ElapsedMilliseconds} ms after A stored it");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("configured", await get.Content.ReadAsStringAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"B used the rule after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task AnObjectsAclAndTagsSetThroughA_AreSeenByB_AndGoWithTheObject()
    {
        var url = (GatewayProcess replica, string query) => new Uri(replica.DataUrl, "acl/shared.txt" + query);
        var put = new HttpRequestMessage(HttpMethod.Put, url(set.A, "")) { Content = CosSigner.Bytes("shared"u8.ToArray(), "text/plain") };
        Assert.Equal(HttpStatusCode.OK, (await set.A.Client.SendAsync(put.Sign())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await set.B.Client.GetAsync(url(set.B, ""))).StatusCode); // B now holds the entry

        var acl = new HttpRequestMessage(HttpMethod.Put, url(set.A, "?acl"));
        acl.Headers.Add("x-cos-acl", "private");
        Assert.Equal(HttpStatusCode.OK, (await set.A.Client.SendAsync(acl.Sign())).StatusCode);
        var tagging = new HttpRequestMessage(HttpMethod.Put, url(set.A, "?tagging")) { Content = new StringContent("<Tagging><TagSet><Tag><Key>team</Key><Value>ops</Value></Tag></TagSet></Tagging>") };
        Assert.Equal(HttpStatusCode.OK, (await set.A.Client.SendAsync(tagging.Sign())).StatusCode);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage get;
        do
        {
            get = await set.B.Client.GetAsync(url(set.B, ""));
        }
        while (get.StatusCode != HttpStatusCode.Forbidden && clock.Elapsed < TimeSpan.FromSeconds(5) && await Delay(20));
        output.WriteLine($"B refused the now private object {clock.ElapsedMilliseconds} ms after A set its ACL");
        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"B saw the ACL after {clock.ElapsedMilliseconds} ms");
        var tags = await set.B.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url(set.B, "?tagging")).Sign());
        Assert.Contains("<Key>team</Key><Value>ops</Value>", await tags.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var signed = await set.B.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url(set.B, "")).Sign());
        Assert.Equal("shared", await signed.Content.ReadAsStringAsync());
        Assert.Equal("1", signed.Headers.GetValues("x-cos-tagging-count").Single());

        // Deleted through B: gone with its attributes; written again through A, it starts with the defaults.
        Assert.Equal(HttpStatusCode.NoContent, (await set.B.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, url(set.B, "")).Sign())).StatusCode);
        // A hears of the delete through the bus (asynchronously, within milliseconds).
        clock.Restart();
        HttpStatusCode gone;
        while ((gone = (await set.A.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url(set.A, "?tagging")).Sign())).StatusCode) != HttpStatusCode.NotFound && clock.Elapsed < TimeSpan.FromSeconds(5) && await Delay(20))
        {
        }
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"A saw the delete after {clock.ElapsedMilliseconds} ms");
        put = new HttpRequestMessage(HttpMethod.Put, url(set.A, "")) { Content = CosSigner.Bytes("again"u8.ToArray(), "text/plain") };
        Assert.Equal(HttpStatusCode.OK, (await set.A.Client.SendAsync(put.Sign())).StatusCode);
        clock.Restart();
        HttpStatusCode back;
        while ((back = (await set.B.Client.GetAsync(url(set.B, ""))).StatusCode) != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(5) && await Delay(20))
        {
        }
        Assert.Equal(HttpStatusCode.OK, back);
    }

    [Fact]
    public async Task FiftyColdGets_SplitAcrossAandB_MakeOneOriginRequest_AndEveryClientGetsTheBytes()
    {
        var body = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        set.Slow.ServeSlowly("/s/herd.bin", body, 256 * 1024, TimeSpan.FromMilliseconds(60));
        var expected = Convert.ToHexString(SHA256.HashData(body));

        var clients = Enumerable.Range(0, 50).Select(async i =>
        {
            var replica = i % 2 == 0 ? set.A : set.B;
            using var response = await replica.Client.GetAsync(new Uri(replica.DataUrl, "s/herd.bin"));
            var bytes = await response.Content.ReadAsByteArrayAsync();
            return (response.StatusCode, Hash: Convert.ToHexString(SHA256.HashData(bytes)), Action: response.Headers.GetValues("x-origin-action").Single());
        }).ToList();
        var results = await Task.WhenAll(clients);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(results, r => Assert.Equal(expected, r.Hash));
        Assert.Equal(1, set.Slow.Count("/s/herd.bin"));
        output.WriteLine(string.Join(", ", results.GroupBy(r => r.Action).Select(g => $"{g.Key}: {g.Count()}")));
    }

    [Fact]
    public async Task HundredFetchTasksSubmittedToA_CompleteWithOneOriginFetchEach_OnBothReplicas()
    {
        for (var i = 0; i < 100; i++)
        {
            set.Slow.ServeSlowly($"/t/{i}.bin", Encoding.UTF8.GetBytes($"task object {i}"), 64, TimeSpan.FromMilliseconds(100));
        }
        var before = (Ran(await MetricsAsync(set.A)), Ran(await MetricsAsync(set.B)));
        var tasks = new FetchTaskClient(set.A);
        var ids = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add((await tasks.SubmitAsync(new { Url = $"http://{set.Slow.Host}/t/{i}.bin", Key = $"t/{i}.bin" })).TaskId);
        }

        foreach (var id in ids)
        {
            Assert.Equal("TASK_SUCCESS", (await tasks.WaitAsync(id)).State);
        }

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(1, set.Slow.Count($"/t/{i}.bin"));
        }
        var get = await set.B.Client.GetAsync(new Uri(set.B.DataUrl, "t/42.bin"));
        Assert.Equal("task object 42", await get.Content.ReadAsStringAsync());
        var ranOnA = Ran(await MetricsAsync(set.A)) - before.Item1;
        var ranOnB = Ran(await MetricsAsync(set.B)) - before.Item2;
        output.WriteLine($"tasks run by A: {ranOnA}, by B: {ranOnB}");
        Assert.Equal(100, ranOnA + ranOnB);
        Assert.True(ranOnA > 0 && ranOnB > 0, $"the tasks were not spread: A {ranOnA}, B {ranOnB}");
    }

    [Fact]
    public async Task AReplicaKilledMidFill_LeavesNoPartialObject_AndTheOtherFinishesItsTasks()
    {
        var victim = await set.StartReplicaAsync("--Tasks:Workers=8");
        var big = RandomNumberGenerator.GetBytes(12 * 1024 * 1024);
        // About 6 s per body: the replica dies in the middle of every one of them.
        set.Slow.ServeSlowly("/s/cut.bin", big, 256 * 1024, TimeSpan.FromMilliseconds(120));
        for (var i = 0; i < 3; i++)
        {
            set.Slow.ServeSlowly($"/k/{i}.bin", big, 256 * 1024, TimeSpan.FromMilliseconds(120));
        }
        // Submitted to the victim, which leases them at once (A and B poll the shared queue too, and may take some).
        var tasks = new FetchTaskClient(victim);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await tasks.SubmitAsync(new { Url = $"http://{set.Slow.Host}/k/{i}.bin", Key = $"k/{i}.bin" })).TaskId);
        }
        var mirror = victim.Client.GetAsync(new Uri(victim.DataUrl, "s/cut.bin"), HttpCompletionOption.ResponseHeadersRead);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((set.Slow.Count("/s/cut.bin") == 0 || Enumerable.Range(0, 3).Any(i => set.Slow.Count($"/k/{i}.bin") == 0)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        await Task.Delay(1500);

        Process.GetProcessById(victim.ProcessId).Kill();
        await victim.DisposeAsync();
        try
        {
            using var cut = await mirror;
            await Assert.ThrowsAnyAsync<Exception>(() => cut.Content.ReadAsByteArrayAsync());
        }
        catch (HttpRequestException)
        {
            // Killed before the headers went out.
        }

        // Nothing partial anywhere: not in S3, not through B.
        using var s3 = set.S3.Client();
        foreach (var key in new[] { "objects/s/cut.bin", "objects/k/0.bin", "objects/k/1.bin", "objects/k/2.bin" })
        {
            try
            {
                Assert.Equal(big.Length, (await s3.GetObjectMetadataAsync(ReplicaSet.S3Bucket, key)).ContentLength);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Absent: the fill never completed.
            }
        }
        var head = await set.B.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(set.B.DataUrl, "k/0.bin")));
        Assert.True(head.StatusCode == HttpStatusCode.NotFound || head.Content.Headers.ContentLength == big.Length);

        // The victim's leases expire (4 s) and the surviving replicas finish its tasks.
        var survivors = new FetchTaskClient(set.B);
        foreach (var id in ids)
        {
            Assert.Equal("TASK_SUCCESS", (await survivors.WaitAsync(id)).State);
        }
        var fetches = Enumerable.Range(0, 3).Select(i => set.Slow.Count($"/k/{i}.bin")).ToList();
        output.WriteLine("origin fetches per task: " + string.Join(", ", fetches));
        Assert.True(fetches.Sum() > 3, "no task was cut by the kill and fetched again by a survivor");
        for (var i = 0; i < 3; i++)
        {
            using var get = await set.B.Client.GetAsync(new Uri(set.B.DataUrl, $"k/{i}.bin"));
            Assert.Equal(Convert.ToHexString(SHA256.HashData(big)), Convert.ToHexString(SHA256.HashData(await get.Content.ReadAsByteArrayAsync())));
        }
    }

    /// <summary>
    /// A replica whose clock runs two minutes ahead (libfaketime preloaded into it, as an unsynchronised host runs) read
    /// every lease the others wrote by their clocks as run out, and took their running tasks: each was fetched from its
    /// origin twice and counted two attempts. Leases now follow the control database's clock: a task one replica runs is
    /// left to it, fetched once, and the skewed replica says in its log how far off its clock is.
    /// </summary>
    [Fact]
    public async Task AReplicaWhoseClockRunsAhead_LeavesTheTaskAnotherReplicaRuns_ItIsFetchedOnce()
    {
        var faketime = ExternalTool.RequireAt("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "faketime");
        var body = RandomNumberGenerator.GetBytes(12 * 1024 * 1024);
        // About 12 s of body: the task is still running when the skewed replica has started and polled many times.
        set.Slow.ServeSlowly("/ahead/slow.bin", body, 256 * 1024, TimeSpan.FromMilliseconds(250));
        var id = (await new FetchTaskClient(set.A).SubmitAsync(new { Url = $"http://{set.Slow.Host}/ahead/slow.bin", Key = "ahead/slow.bin" })).TaskId;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (set.Slow.Count("/ahead/slow.bin") == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal(1, set.Slow.Count("/ahead/slow.bin"));

        await using var ahead = await set.StartReplicaAsync(new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = faketime,
            ["FAKETIME"] = "+2m",
            ["DONT_FAKE_MONOTONIC"] = "1",
        });
        var done = await new FetchTaskClient(set.B).WaitAsync(id);

        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Equal(1, set.Slow.Count("/ahead/slow.bin"));
        Assert.Equal(1, done.Data.GetProperty("attempts").GetInt32());
        Assert.Contains("clock is -1", ahead.Output, StringComparison.Ordinal);
        using var get = await set.B.Client.GetAsync(new Uri(set.B.DataUrl, "ahead/slow.bin"));
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(await get.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task RedisStoppedForTenSeconds_BothReplicasKeepServing_AndCoordinationRecovers()
    {
        set.Origin.Serve("/m/before.txt", "stored before"u8.ToArray(), "text/plain");
        Assert.Equal(HttpStatusCode.OK, (await set.A.Client.GetAsync(new Uri(set.A.DataUrl, "m/before.txt"))).StatusCode);
        for (var i = 0; i < 40; i++)
        {
            set.Origin.Serve($"/m/outage-{i}.txt", Encoding.UTF8.GetBytes($"outage {i}"), "text/plain");
        }

        await set.Redis.StopAsync();
        var outage = Stopwatch.StartNew();
        var served = 0;
        var slowest = TimeSpan.Zero;
        var i2 = 0;
        while (outage.Elapsed < TimeSpan.FromSeconds(10))
        {
            foreach (var replica in new[] { set.A, set.B })
            {
                var request = Stopwatch.StartNew();
                var hit = await replica.Client.GetAsync(new Uri(replica.DataUrl, "m/before.txt"));
                Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
                var key = $"m/outage-{i2++ % 40}.txt";
                var miss = await replica.Client.GetAsync(new Uri(replica.DataUrl, key));
                Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
                Assert.Equal(key["m/".Length..^".txt".Length].Replace("outage-", "outage ", StringComparison.Ordinal), await miss.Content.ReadAsStringAsync());
                slowest = request.Elapsed > slowest ? request.Elapsed : slowest;
                served += 2;
            }
            await Task.Delay(100);
        }
        output.WriteLine($"{served} requests during the outage, slowest pair {slowest.TotalMilliseconds:F0} ms");

        foreach (var replica in new[] { set.A, set.B })
        {
            var degraded = await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "readyz"));
            Assert.StartsWith("Degraded\n", degraded, StringComparison.Ordinal);
            Assert.Contains("coordination: Degraded — Redis cannot be reached", degraded, StringComparison.Ordinal);
        }
        await set.Redis.StartAgainAsync();
        // Both replicas reach Redis again (readiness stops saying Degraded).
        foreach (var replica in new[] { set.A, set.B })
        {
            var ready = DateTime.UtcNow.AddSeconds(30);
            while (!(await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "readyz"))).StartsWith("Healthy\n", StringComparison.Ordinal) && DateTime.UtcNow < ready)
            {
                await Task.Delay(200);
            }
            Assert.StartsWith("Healthy\n", await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "readyz")), StringComparison.Ordinal);
        }
        // Recovered: a configuration change through B reaches A through Redis again.
        set.Origin.Serve("/back/x.txt", "after the outage"u8.ToArray(), "text/plain");
        var rules = set.Rules("back/");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage get;
        do
        {
            // Re-sent until the replicas are connected again (a change made while they are not is not announced).
            await set.B.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(set.B.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
            await Task.Delay(300);
            get = await set.A.Client.GetAsync(new Uri(set.A.DataUrl, "back/x.txt"));
        }
        while (get.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Contains("Redis circuit breaker closed", set.A.Output, StringComparison.Ordinal);
    }

    private static async Task<bool> Delay(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return true;
    }

    private static async Task<string> MetricsAsync(GatewayProcess replica) =>
        await replica.Client.GetStringAsync(new Uri(replica.ControlUrl, "metrics"));

    /// <summary>Fetch-task attempts that succeeded on a replica, from its own metrics.</summary>
    private static long Ran(string metrics) => metrics.Split('\n')
        .Where(l => l.StartsWith("origin_gateway_task_duration_seconds_count{", StringComparison.Ordinal) && l.Contains("kind=\"fetch\"", StringComparison.Ordinal) && l.Contains("outcome=\"succeeded\"", StringComparison.Ordinal))
        .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
