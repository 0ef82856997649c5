using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Buckets;
using OriginGateway.Coordination;
using OriginGateway.Lifecycle;
using OriginGateway.Observability;
using OriginGateway.OriginPull;
using OriginGateway.Origins;
using OriginGateway.Storage;
using OriginGateway.Tests.Origins;
using OriginGateway.Tests.Storage;

namespace OriginGateway.Tests.OriginPull;

/// <summary>Single flight per key over an in-memory origin: one fetch however many wait, late joiners, failing fills.</summary>
public sealed class FillRegistryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("og-fills-").FullName;
    private readonly Bucket _bucket;

    public FillRegistryTests()
    {
        var store = new FileSystemObjectStore(_root, false, TimeProvider.System, NullLogger.Instance);
        _bucket = new Bucket("examplebucket-1250000000", "ap-guangzhou", true, false, store, store, "", DateTimeOffset.UnixEpoch);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static FillRegistry Registry(InMemoryOrigin origin)
    {
        var options = new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromSeconds(10) };
        var metrics = new GatewayMetrics();
        return new FillRegistry(origin.Fetcher(options, metrics), new OriginIngest(options, metrics, TimeProvider.System), options,
            new NegativeCache(options, TimeProvider.System, new LocalClusterState()), new LocalFillLocks(), metrics, TimeProvider.System,
            new ShutdownSignal(new Lifetime(), new ShutdownOptions()), NullLogger<FillRegistry>.Instance);
    }

    private static OriginFetchRequest Request(string path) => new("http", path, [], ["origin.example"], true, new HashSet<int>());

    private static async Task<FillState> EndAsync(Fill fill)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (fill.State == FillState.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, "the fill did not end within 10 s");
            await Task.Delay(10);
        }
        return fill.State;
    }

    [Fact]
    public async Task AHundredConcurrentMisses_MakeOneFetch_AndShareOneFill()
    {
        var body = RandomNumberGenerator.GetBytes(300_000);
        var gate = new TaskCompletionSource();
        var origin = new InMemoryOrigin(async (_, _) =>
        {
            await gate.Task;
            return InMemoryOrigin.Body(body);
        });
        var registry = Registry(origin);

        var misses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() =>
        {
            var fill = registry.GetOrStart(_bucket, "herd.bin", Request("/herd.bin"), out var joined);
            return (fill, joined);
        })));
        gate.SetResult();

        Assert.Single(misses.Select(m => m.fill).Distinct());
        Assert.Single(misses, m => !m.joined);
        Assert.Equal(FillState.Committed, await EndAsync(misses[0].fill));
        Assert.Equal(1, origin.Count("origin.example"));
        Assert.Equal(body, await _bucket.Store.ReadAllAsync("herd.bin"));
        Assert.Equal(0, registry.InFlight);
    }

    [Fact]
    public async Task ASmallBody_StartsItsClientsCommittedAndWhole_FromMemory()
    {
        var body = RandomNumberGenerator.GetBytes(1024);
        var origin = new InMemoryOrigin((_, _) => Task.FromResult(InMemoryOrigin.Body(body)));
        var registry = Registry(origin);

        var fill = registry.GetOrStart(_bucket, "small.bin", Request("/small.bin"), out _);
        var start = await fill.Started.WaitAsync(TimeSpan.FromSeconds(10));

        // When its clients wake the object is already stored, and every byte is theirs without waiting.
        Assert.Equal(FillStartKind.Streaming, start.Kind);
        Assert.Equal(body, await _bucket.Store.ReadAllAsync("small.bin"));
        Assert.Equal(body.Length, fill.Published);
        Assert.Equal(body, fill.Body!.Value.ToArray());
        Assert.Equal(FillState.Committed, await EndAsync(fill));
        Assert.Equal(body.Length, fill.Published);
    }

    [Fact]
    public async Task AMissWhileTheBodyStreams_JoinsTheFill_AndAMissAfterTheCommitIsNoFill()
    {
        var pipe = new Pipe();
        var body = RandomNumberGenerator.GetBytes(200_000);
        var origin = new InMemoryOrigin((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(pipe.Reader.AsStream()) { Headers = { ContentLength = body.Length } },
        }));
        var registry = Registry(origin);

        var first = registry.GetOrStart(_bucket, "late.bin", Request("/late.bin"), out var firstJoined);
        await pipe.Writer.WriteAsync(body.AsMemory(0, 100_000));
        var start = await first.Started.WaitAsync(TimeSpan.FromSeconds(10));
        var late = registry.GetOrStart(_bucket, "late.bin", Request("/late.bin"), out var lateJoined);
        await pipe.Writer.WriteAsync(body.AsMemory(100_000));
        await pipe.Writer.CompleteAsync();

        Assert.False(firstJoined);
        Assert.True(lateJoined);
        Assert.Same(first, late);
        Assert.Equal(FillStartKind.Streaming, start.Kind);
        Assert.Equal(FillState.Committed, await EndAsync(first));
        Assert.Null(registry.Find(_bucket.Name, "late.bin"));
        Assert.Equal(body, await _bucket.Store.ReadAllAsync("late.bin"));
        Assert.Equal(1, origin.Count("origin.example"));
    }

    [Fact]
    public async Task AFillCutMidBody_StoresNothing_AndTheNextMissFetchesAgain()
    {
        var attempts = 0;
        var origin = new InMemoryOrigin((_, _) =>
        {
            // The first answer promises 100 000 bytes and ends after 10 000; the second is whole.
            var whole = Interlocked.Increment(ref attempts) > 1;
            var sent = RandomNumberGenerator.GetBytes(whole ? 100_000 : 10_000);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StreamContent(new MemoryStream(sent)) { Headers = { ContentLength = 100_000 } },
            });
        });
        var registry = Registry(origin);

        var cut = registry.GetOrStart(_bucket, "cut.bin", Request("/cut.bin"), out _);
        Assert.Equal(FillState.Failed, await EndAsync(cut));
        Assert.Equal("Truncated", cut.FailureReason);
        Assert.Null(await _bucket.Store.ReadAllAsync("cut.bin"));

        var again = registry.GetOrStart(_bucket, "cut.bin", Request("/cut.bin"), out var joined);
        Assert.False(joined);
        Assert.Equal(FillState.Committed, await EndAsync(again));
        Assert.Equal(2, origin.Count("origin.example"));
        Assert.Equal(100_000, (await _bucket.Store.ReadAllAsync("cut.bin"))!.Length);
    }

    [Fact]
    public async Task AnOrigin404_IsRemembered_AndNothingIsStored()
    {
        var origin = new InMemoryOrigin((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("no") }));
        var registry = Registry(origin);

        var fill = registry.GetOrStart(_bucket, "none.bin", Request("/none.bin"), out _);

        Assert.Equal(FillStartKind.NotFound, (await fill.Started.WaitAsync(TimeSpan.FromSeconds(10))).Kind);
        Assert.Equal(FillState.Completed, await EndAsync(fill));
        Assert.Null(await _bucket.Store.ReadAllAsync("none.bin"));
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
