using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
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

    private static FillRegistry Registry(InMemoryOrigin origin, OriginPullOptions? options = null, NegativeCache? negativeCache = null)
    {
        options ??= new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromSeconds(10) };
        var metrics = new GatewayMetrics();
        return new FillRegistry(origin.Fetcher(options, metrics), new OriginIngest(options, metrics, TimeProvider.System), options,
            negativeCache ?? new NegativeCache(options, TimeProvider.System, new LocalClusterState()), new LocalFillLocks(), metrics, TimeProvider.System,
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

    /// <summary>
    /// The 404 is remembered before any waiting client hears it: a client that asks again at once must find it remembered.
    /// Told first, its next request could look before the fill had remembered it and, once the fill had left the registry,
    /// start a second fetch (seen with two replicas while Redis was frozen: the shared lookup held the second request until
    /// the fill was gone).
    /// </summary>
    [Fact]
    public async Task AnOrigin404_IsRemembered_BeforeAnyClientIsTold()
    {
        var options = new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromSeconds(10), NegativeCacheTtl = TimeSpan.FromMinutes(1) };
        var shared = new StartWatchingState();
        var negativeCache = new NegativeCache(options, TimeProvider.System, shared);
        var gate = new TaskCompletionSource();
        var origin = new InMemoryOrigin(async (_, _) =>
        {
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("no") };
        });
        var registry = Registry(origin, options, negativeCache);

        var fill = registry.GetOrStart(_bucket, "gone.bin", Request("/gone.bin"), out _);
        shared.Fill = fill;
        gate.SetResult();

        Assert.Equal(FillStartKind.NotFound, (await fill.Started.WaitAsync(TimeSpan.FromSeconds(10))).Kind);
        Assert.True(await negativeCache.ContainsAsync(_bucket.Name, "gone.bin"));
        Assert.Equal(FillState.Completed, await EndAsync(fill));
        Assert.Equal([false], shared.ToldWhenRemembered);
    }

    /// <summary>Shared state that records, when a fact is set, whether the fill's clients had already been told.</summary>
    private sealed class StartWatchingState : IClusterState
    {
        public volatile Fill? Fill;

        public ConcurrentQueue<bool> ToldWhenRemembered { get; } = new();

        public Task<bool?> ContainsAsync(string name) => Task.FromResult<bool?>(null);

        public void Set(string name, TimeSpan ttl) => ToldWhenRemembered.Enqueue(Fill?.Started.IsCompleted ?? false);

        public void Remove(string name)
        {
        }

        public Task<long?> IncrementAsync(string name, TimeSpan ttl) => Task.FromResult<long?>(null);
    }

    /// <summary>
    /// An origin whose first answer (ETag <c>"v1"</c>, 100 000 bytes) breaks after 40 000 bytes and whose Range answers are
    /// made by <paramref name="rest"/> (given the offset asked for); every request's Range and If-Match are recorded.
    /// </summary>
    private static (InMemoryOrigin Origin, byte[] Body, ConcurrentQueue<(string? Range, string? IfMatch)> Asked) CutOrigin(
        Func<byte[], long, HttpResponseMessage> rest, Func<byte[], Stream>? firstBody = null, string etag = "\"v1\"")
    {
        var body = RandomNumberGenerator.GetBytes(100_000);
        var asked = new ConcurrentQueue<(string?, string?)>();
        var origin = new InMemoryOrigin((request, _) =>
        {
            var range = request.Headers.TryGetValues("Range", out var r) ? r.Single() : null;
            asked.Enqueue((range, request.Headers.TryGetValues("If-Match", out var m) ? m.Single() : null));
            if (range is null)
            {
                var first = FirstAnswer(firstBody?.Invoke(body) ?? new BreakingStream(body.AsMemory(0, 40_000)), body.Length, etag);
                first.Headers.AcceptRanges.Add("bytes");
                return Task.FromResult(first);
            }
            return Task.FromResult(rest(body, long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture)));
        });
        return (origin, body, asked);
    }

    /// <summary>An origin's 200 with an ETag, its body <paramref name="body"/>: <paramref name="length"/> declared, or chunked when null.</summary>
    private static HttpResponseMessage FirstAnswer(Stream body, long? length, string etag = "\"v1\"")
    {
        var first = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) { Headers = { ContentLength = length } } };
        first.Headers.TransferEncodingChunked = length is null;
        first.Headers.TryAddWithoutValidation("ETag", etag);
        return first;
    }

    /// <summary>A 206 of <paramref name="body"/> from <paramref name="from"/> to its end, with an ETag.</summary>
    private static HttpResponseMessage Partial(byte[] body, long from, string etag = "\"v1\"", long? total = null)
    {
        var partial = new HttpResponseMessage(HttpStatusCode.PartialContent)
        {
            Content = new ByteArrayContent(body[(int)from..])
            {
                Headers = { ContentLength = body.Length - from, ContentRange = new ContentRangeHeaderValue(from, body.Length - 1, total ?? body.Length) },
            },
        };
        partial.Headers.TryAddWithoutValidation("ETag", etag);
        return partial;
    }

    [Fact]
    public async Task ABodyBrokenMidWay_IsResumedFromWhereItBroke_PinnedToItsETag_AndStoredWhole()
    {
        var (origin, body, asked) = CutOrigin((b, from) => Partial(b, from));
        var registry = Registry(origin);

        var fill = registry.GetOrStart(_bucket, "resumed.bin", Request("/resumed.bin"), out _);

        Assert.Equal(FillState.Committed, await EndAsync(fill));
        var stored = await _bucket.Store.FindAsync("resumed.bin", CancellationToken.None);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), stored!.Md5Hex);
        Assert.Equal(body, await _bucket.Store.ReadAllAsync("resumed.bin"));
        Assert.Equal([(null, null), ("bytes=40000-", "\"v1\"")], asked.ToArray());
    }

    [Fact]
    public async Task AChunkedBodyBrokenMidWay_IsResumed_AndItsLengthIsTheOneTheRestDeclares()
    {
        var body = RandomNumberGenerator.GetBytes(100_000);
        var asked = 0;
        var origin = new InMemoryOrigin((request, _) =>
        {
            if (Interlocked.Increment(ref asked) == 1)
            {
                // Chunked: no length before the body; it breaks after 40 000 bytes.
                return Task.FromResult(FirstAnswer(new BreakingStream(body.AsMemory(0, 40_000)), length: null));
            }
            Assert.Equal("bytes=40000-", request.Headers.GetValues("Range").Single());
            return Task.FromResult(Partial(body, 40_000));
        });
        var registry = Registry(origin);

        var fill = registry.GetOrStart(_bucket, "chunked.bin", Request("/chunked.bin"), out _);

        Assert.Equal(FillState.Committed, await EndAsync(fill));
        Assert.Equal(body, await _bucket.Store.ReadAllAsync("chunked.bin"));
    }

    [Fact]
    public async Task ABodyThatKeepsBreaking_IsResumedAtMostMaxBodyResumesTimes_ThenFails()
    {
        // Every Range answer breaks 10 000 bytes further on.
        var (origin, _, asked) = CutOrigin((b, from) =>
        {
            var partial = Partial(b, from);
            partial.Content = new StreamContent(new BreakingStream(b.AsMemory((int)from, 10_000)))
            {
                Headers = { ContentLength = b.Length - from, ContentRange = new ContentRangeHeaderValue(from, b.Length - 1, b.Length) },
            };
            return partial;
        });
        var registry = Registry(origin, new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromSeconds(10), MaxBodyResumes = 2 });

        var fill = registry.GetOrStart(_bucket, "breaking.bin", Request("/breaking.bin"), out _);

        Assert.Equal(FillState.Failed, await EndAsync(fill));
        Assert.Equal("Truncated", fill.FailureReason);
        Assert.Null(await _bucket.Store.ReadAllAsync("breaking.bin"));
        Assert.Equal(["", "bytes=40000-", "bytes=50000-"], asked.Select(a => a.Range ?? "").ToArray());
    }

    [Fact]
    public async Task ABodyThatStalls_IsResumedToo()
    {
        var (origin, body, asked) = CutOrigin((b, from) => Partial(b, from), b => new BreakingStream(b.AsMemory(0, 40_000), stall: true));
        var registry = Registry(origin, new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromMilliseconds(300) });

        var fill = registry.GetOrStart(_bucket, "stalled.bin", Request("/stalled.bin"), out _);

        Assert.Equal(FillState.Committed, await EndAsync(fill));
        Assert.Equal(body, await _bucket.Store.ReadAllAsync("stalled.bin"));
        Assert.Equal(2, asked.Count);
    }

    public static TheoryData<string> RestsThatAreNotTheRest() =>
    [
        "another version's bytes (an origin that ignores If-Match)",
        "the whole body again (an origin that ignores Range)",
        "412 (the object changed)",
        "a range from another offset",
        "a range of another length",
        "a range without an ETag",
    ];

    [Theory]
    [MemberData(nameof(RestsThatAreNotTheRest))]
    public async Task AnAnswerThatIsNotExactlyTheRest_IsNotSpliced_AndTheFillFails(string answer)
    {
        var (origin, _, asked) = CutOrigin((b, from) => answer switch
        {
            "another version's bytes (an origin that ignores If-Match)" => Partial(RandomNumberGenerator.GetBytes(b.Length), from, "\"v2\""),
            "the whole body again (an origin that ignores Range)" => InMemoryOrigin.Body(b),
            "412 (the object changed)" => new HttpResponseMessage(HttpStatusCode.PreconditionFailed),
            "a range from another offset" => Partial(b, from - 1),
            "a range of another length" => Partial(b, from, total: b.Length + 1),
            "a range without an ETag" => WithoutETag(Partial(b, from)),
            _ => throw new ArgumentOutOfRangeException(nameof(answer)),
        });
        var registry = Registry(origin);

        var fill = registry.GetOrStart(_bucket, "spliced.bin", Request("/spliced.bin"), out _);

        Assert.Equal(FillState.Failed, await EndAsync(fill));
        Assert.Equal("Truncated", fill.FailureReason);
        Assert.Null(await _bucket.Store.ReadAllAsync("spliced.bin"));
        Assert.Equal(2, asked.Count);
    }

    private static HttpResponseMessage WithoutETag(HttpResponseMessage response)
    {
        response.Headers.Remove("ETag");
        return response;
    }

    [Theory]
    [InlineData("W/\"v1\"")]
    [InlineData("")]
    public async Task ABodyWithoutAStrongETag_IsNotResumed(string etag)
    {
        var (origin, _, asked) = CutOrigin((b, from) => Partial(b, from), etag: etag);
        var registry = Registry(origin);

        var fill = registry.GetOrStart(_bucket, "weak.bin", Request("/weak.bin"), out _);

        Assert.Equal(FillState.Failed, await EndAsync(fill));
        Assert.Single(asked);
    }

    [Fact]
    public async Task ARestWhoseHeadersNeverCome_IsGivenUpWithinTheBodyIdleTimeout_AndNotAskedForAgain()
    {
        var asked = 0;
        var origin = new InMemoryOrigin(async (request, cancellation) =>
        {
            if (Interlocked.Increment(ref asked) > 1)
            {
                // The origin froze: the rest's headers never come.
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            return FirstAnswer(new BreakingStream(new byte[40_000]), 100_000);
        });
        // Clients mid-body tolerate BodyIdleTimeout between bytes, not the minute a first answer's headers may take.
        var registry = Registry(origin, new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromMilliseconds(300), ResponseHeadersTimeout = TimeSpan.FromMinutes(1) });

        var fill = registry.GetOrStart(_bucket, "frozen.bin", Request("/frozen.bin"), out _);

        Assert.Equal(FillState.Failed, await EndAsync(fill));
        Assert.Equal(2, asked);
    }

    [Fact]
    public async Task ResumingCanBeTurnedOff()
    {
        var (origin, _, asked) = CutOrigin((b, from) => Partial(b, from));
        var registry = Registry(origin, new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromSeconds(10), MaxBodyResumes = 0 });

        var fill = registry.GetOrStart(_bucket, "off.bin", Request("/off.bin"), out _);

        Assert.Equal(FillState.Failed, await EndAsync(fill));
        Assert.Single(asked);
    }

    /// <summary>Gives <c>head</c>, then breaks as a cut connection does (an <see cref="IOException"/>) or stalls for good.</summary>
    private sealed class BreakingStream(ReadOnlyMemory<byte> head, bool stall = false) : Stream
    {
        private int _at;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_at == head.Length)
            {
                if (stall)
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                throw new IOException("The response ended prematurely.");
            }
            var n = Math.Min(buffer.Length, Math.Min(head.Length - _at, 8192));
            head.Slice(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
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
