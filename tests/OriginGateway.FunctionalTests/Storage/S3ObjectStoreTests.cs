using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Buckets;
using OriginGateway.Coordination;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Storage;
using OriginGateway.Tests.Storage;

namespace OriginGateway.FunctionalTests.Storage;

/// <summary>One s3rver for every S3 store test; each test works under a prefix of its own.</summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    public const string Bucket = "store";

    public S3Server Server { get; private set; } = null!;

    internal AmazonS3Client Client { get; private set; } = null!;

    /// <summary>Every request the client sent, as "METHOD path?query".</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Requests { get; } = new();

    public async Task InitializeAsync()
    {
        Server = await S3Server.StartAsync(Bucket);
        Client = S3ClientFactory.Create(Server.Endpoint, "", S3Server.AccessKey, S3Server.SecretKey, new RecordingHandler(Requests));
    }

    private sealed class RecordingHandler(System.Collections.Concurrent.ConcurrentQueue<string> requests) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            requests.Enqueue(request.Method.Method + " " + request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, cancellationToken);
        }
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>The object-store contract against the S3 store on a real S3-compatible server, and what only the S3 store does.</summary>
public sealed class S3ObjectStoreTests : ObjectStoreContractTests, IClassFixture<S3ServerFixture>, IDisposable
{
    private const long PartSize = 5 * 1024 * 1024;

    private readonly S3ServerFixture _s3;
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "/";
    private readonly string _staging = TestPaths.NewTempDirectory("og-s3-staging");
    private readonly S3ObjectStore _store;

    public S3ObjectStoreTests(S3ServerFixture s3)
    {
        _s3 = s3;
        _store = Open(new LocalClusterBus(), TimeSpan.FromSeconds(30));
    }

    private protected override IObjectStore Store => _store;

    private protected override bool CanHold(string key) =>
        !key.Contains("//", StringComparison.Ordinal) && key.Split('/').All(segment => System.Text.Encoding.UTF8.GetByteCount(segment) < 200);

    private protected override IObjectStore Reopen() => Open(new LocalClusterBus(), TimeSpan.FromSeconds(30));

    private S3ObjectStore Open(IClusterBus bus, TimeSpan cacheTtl, string scope = "bucket") =>
        new(_s3.Client, S3ServerFixture.Bucket, _prefix, "a" + _prefix, Path.Combine(_staging, Guid.NewGuid().ToString("N")), PartSize, cacheTtl, bus, scope, TimeProvider.System, NullLogger.Instance);

    public void Dispose() => Directory.Delete(_staging, recursive: true);

    /// <summary>
    /// An S3 server that answers conditional writes 501 NotImplemented (as one without them may): the write is sent once
    /// more without its condition — which the store checked against the server's object just before, so a condition that
    /// does not hold still stores nothing — and conditions are not sent to that server again.
    /// </summary>
    [Fact]
    public async Task AServerWithoutConditionalWrites_StillGetsTheWrite_AndTheConditionIsCheckedBeforeIt()
    {
        var refused = 0;
        using var client = S3ClientFactory.Create(_s3.Server.Endpoint, "", S3Server.AccessKey, S3Server.SecretKey, new NoConditionalWrites(() => Interlocked.Increment(ref refused)));
        var store = new S3ObjectStore(client, S3ServerFixture.Bucket, _prefix, "a" + _prefix, Path.Combine(_staging, Guid.NewGuid().ToString("N")), PartSize,
            TimeSpan.FromSeconds(30), new LocalClusterBus(), "bucket", TimeProvider.System, NullLogger.Instance);
        async Task<ObjectWriteStatus> PutAsync(string key, string body, WriteCondition condition) =>
            (await store.PutAsync(key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)), Write() with { Condition = condition }, default)).Status;

        Assert.Equal(ObjectWriteStatus.Committed, await PutAsync("nocond/a", "first", WriteCondition.StillAbsent));
        Assert.Equal(1, refused);
        Assert.Equal(ObjectWriteStatus.PreconditionFailed, await PutAsync("nocond/a", "second", WriteCondition.StillAbsent));
        Assert.Equal(ObjectWriteStatus.Committed, await PutAsync("nocond/b", "other", WriteCondition.StillAbsent));
        var found = (await store.FindAsync("nocond/a", default))!;
        Assert.True(await store.DeleteAsync("nocond/a", default, new WriteCondition(false, found.ETag)));
        Assert.Equal(1, refused);
        Assert.Null(await store.FindAsync("nocond/a", default));
        Assert.NotNull(await store.FindAsync("nocond/b", default));
    }

    /// <summary>
    /// An object's ACL and tags live in an attribute object per version. One that belongs to no object any more — of a
    /// version that was overwritten (by this replica or by another that did not know of it), deleted, or that S3 refused —
    /// is removed, so the backing bucket does not fill up with them; the current version's stays.
    /// </summary>
    [Fact]
    public async Task AttributeObjects_OfReplacedDeletedOrRefusedVersions_AreRemoved_AndTheCurrentOnesStay()
    {
        var attributes = new OriginGateway.Storage.ObjectAttributes("private", [], [new("team", "a")]);
        var withAttributes = Write() with { Attributes = attributes };
        async Task<List<string>> AttributeObjects()
        {
            var page = await _s3.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3ServerFixture.Bucket, Prefix = "a" + _prefix });
            return page.S3Objects?.Select(o => o.Key[("a" + _prefix).Length..]).Order(StringComparer.Ordinal).ToList() ?? [];
        }

        // Overwritten by this replica, which knows the version it replaces.
        var first = await PutAsync("attr/k", "one"u8.ToArray(), withAttributes);
        var second = await PutAsync("attr/k", "two"u8.ToArray(), withAttributes);
        Assert.Equal(["attr/k." + second.VersionId], await AttributeObjects());
        Assert.NotEqual(first.VersionId, second.VersionId);

        // Overwritten by another replica that never looked the key up, without attributes of its own.
        var other = Open(new LocalClusterBus(), TimeSpan.FromSeconds(30));
        Assert.Equal(ObjectWriteStatus.Committed, (await other.PutAsync("attr/k", new MemoryStream("three"u8.ToArray()), Write(), default)).Status);
        Assert.Empty(await AttributeObjects());
        var plain = (await Reopen().FindAsync("attr/k", default))!;
        Assert.True(plain.Attributes.IsDefault);

        // Attributes set on a version and cleared again (PUT ?acl, DELETE ?tagging): its attribute object comes and goes.
        var tagged = (await Store.SetAttributesAsync(plain, attributes, default))!;
        Assert.Equal(["attr/k." + plain.VersionId], await AttributeObjects());
        Assert.True((await Store.SetAttributesAsync(tagged, OriginGateway.Storage.ObjectAttributes.Default, default))!.Attributes.IsDefault);
        Assert.Empty(await AttributeObjects());
        Assert.True((await Reopen().FindAsync("attr/k", default))!.Attributes.IsDefault);

        // A conditional overwrite and a large (multipart) one, each with attributes: one attribute object at a time.
        var current = (await Store.FindAsync("attr/k", default))!;
        var third = await PutAsync("attr/k", "four"u8.ToArray(), withAttributes with { Condition = new WriteCondition(false, current.ETag) });
        Assert.Equal(["attr/k." + third.VersionId], await AttributeObjects());
        var large = await PutAsync("attr/k", RandomNumberGenerator.GetBytes((int)PartSize + 1000), withAttributes);
        Assert.Equal(["attr/k." + large.VersionId], await AttributeObjects());
        Assert.Equal(attributes, (await Reopen().FindAsync("attr/k", default))!.Attributes);

        // Deleted.
        Assert.True(await Store.DeleteAsync("attr/k", default));
        Assert.Empty(await AttributeObjects());

        // Refused by S3 (another writer got in between the store's check and its PUT), and failed with a client error:
        // nothing of those versions stays; the object that got in is untouched.
        Assert.Equal(ObjectWriteStatus.Committed, (await other.PutAsync("attr/raced", new MemoryStream("theirs"u8.ToArray()), withAttributes, default)).Status);
        var theirs = (await Reopen().FindAsync("attr/raced", default))!;
        foreach (var status in new[] { System.Net.HttpStatusCode.PreconditionFailed, System.Net.HttpStatusCode.Forbidden })
        {
            using var client = S3ClientFactory.Create(_s3.Server.Endpoint, "", S3Server.AccessKey, S3Server.SecretKey, new RefusesObjectPuts(_prefix + "attr/", status));
            var refusing = new S3ObjectStore(client, S3ServerFixture.Bucket, _prefix, "a" + _prefix, Path.Combine(_staging, Guid.NewGuid().ToString("N")), PartSize,
                TimeSpan.FromSeconds(30), new LocalClusterBus(), "bucket", TimeProvider.System, NullLogger.Instance);
            var write = status == System.Net.HttpStatusCode.PreconditionFailed ? withAttributes with { Condition = new WriteCondition(false, theirs.ETag) } : withAttributes;
            var outcome = refusing.PutAsync("attr/raced", new MemoryStream("mine"u8.ToArray()), write, default);
            if (status == System.Net.HttpStatusCode.PreconditionFailed)
            {
                Assert.Equal(ObjectWriteStatus.PreconditionFailed, (await outcome).Status);
            }
            else
            {
                await Assert.ThrowsAsync<IOException>(() => outcome);
            }
            Assert.Equal(["attr/raced." + theirs.VersionId], await AttributeObjects());
        }
        var kept = (await Reopen().FindAsync("attr/raced", default))!;
        Assert.Equal(theirs.VersionId, kept.VersionId);
        Assert.Equal(attributes, kept.Attributes);
    }

    /// <summary>Answers the PUT of an object under <paramref name="keyPrefix"/> (not its attribute object) with <paramref name="status"/>, as S3 would refuse it.</summary>
    private sealed class RefusesObjectPuts(string keyPrefix, System.Net.HttpStatusCode status) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath);
            if (request.Method == HttpMethod.Put && path.StartsWith("/" + S3ServerFixture.Bucket + "/" + keyPrefix, StringComparison.Ordinal))
            {
                return Task.FromResult(new HttpResponseMessage(status)
                {
                    Content = new StringContent($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{(status == System.Net.HttpStatusCode.Forbidden ? "AccessDenied" : "PreconditionFailed")}</Code><Message>refused</Message></Error>", System.Text.Encoding.UTF8, "application/xml"),
                });
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Answers every request that carries If-None-Match or If-Match 501 NotImplemented, as S3 would its errors; the rest go to the server.</summary>
    private sealed class NoConditionalWrites(Action refused) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head && (request.Headers.IfNoneMatch.Count > 0 || request.Headers.IfMatch.Count > 0))
            {
                refused();
                return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.NotImplemented)
                {
                    Content = new StringContent("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented.</Message></Error>", System.Text.Encoding.UTF8, "application/xml"),
                });
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task ABodyLargerThanAPart_StreamsAsAMultipartUpload_AndReadsBackWhole_WithRangedReads()
    {
        var body = RandomNumberGenerator.GetBytes((int)(PartSize * 2) + 12345);
        var md5 = MD5.HashData(body);

        var entry = await PutAsync("big/object.bin", body, Write(md5: md5, length: body.Length, contentType: "video/mp4", headers: new KeyValuePair<string, string>("x-cos-meta-origin", "test")));

        Assert.Equal(Convert.ToHexStringLower(md5), entry.Md5Hex);
        var found = await Store.FindAsync("big/object.bin", default);
        Assert.NotNull(found);
        // A streamed object carries the ETag S3 gave its completed multipart upload.
        Assert.Equal(found.StoreTag, found.ETag);
        Assert.Equal(entry.ETag, found.ETag);
        Assert.Equal(body.Length, found.Length);
        Assert.Equal("video/mp4", found.ContentType);
        Assert.Contains(new KeyValuePair<string, string>("x-cos-meta-origin", "test"), found.Headers);
        Assert.Equal(body, await ReadAll("big/object.bin"));

        // A range from the middle, read through the reader opened for it.
        using var reader = (await Store.OpenAsync(found, PartSize - 10, 20, default))!;
        var slice = new byte[20];
        Assert.Equal(20, await reader.ReadAsync(slice, PartSize - 10, default));
        Assert.Equal(body.AsSpan((int)PartSize - 10, 20).ToArray(), slice);

        Assert.Empty(_s3.Server.OpenMultipartUploads(S3ServerFixture.Bucket));
    }

    [Fact]
    public async Task AMultipartBodyThatFailsVerification_IsNeverVisible_AndItsUploadIsAborted()
    {
        await PutAsync("v", "old"u8.ToArray());
        var body = RandomNumberGenerator.GetBytes((int)(PartSize * 2) + 1);

        var result = await Store.PutAsync("v", new MemoryStream(body), Write(md5: new byte[16]), CancellationToken.None);

        Assert.Equal(ObjectWriteStatus.DigestMismatch, result.Status);
        Assert.Equal("old"u8.ToArray(), await ReadAll("v"));
        // The upload was started (two parts went out before the end) and is aborted in the background.
        // (s3rver answers the abort with 405 — it does not implement it — so the request is what is checked.)
        var path = $"/{S3ServerFixture.Bucket}/{_prefix}v";
        Assert.Contains(_s3.Requests, r => r.StartsWith("POST " + path + "?uploads", StringComparison.Ordinal));
        Assert.Equal(2, _s3.Requests.Count(r => r.StartsWith("PUT " + path + "?", StringComparison.Ordinal) && r.Contains("partNumber=", StringComparison.Ordinal)));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_s3.Requests.Any(r => r.StartsWith("DELETE " + path + "?uploadId=", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Contains(_s3.Requests, r => r.StartsWith("DELETE " + path + "?uploadId=", StringComparison.Ordinal));
        Assert.DoesNotContain(_s3.Requests, r => r.StartsWith("POST " + path + "?uploadId=", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(_staging, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task AnotherReplicasWrite_IsSeenAtOnce_WhenAnnounced_AndAfterTheCacheTtlWhenNot()
    {
        var (busA, busB) = TestBus.Pair();
        var replicaA = Open(busA, TimeSpan.FromMinutes(10));
        var replicaB = Open(busB, TimeSpan.FromMinutes(10));
        var silent = Open(new LocalClusterBus(), TimeSpan.FromSeconds(1));

        Assert.Null(await replicaB.FindAsync("shared", default));
        Assert.Null(await silent.FindAsync("shared", default));
        await replicaA.PutAsync("shared", new MemoryStream("one"u8.ToArray()), Write(), default);

        Assert.Equal(3, (await replicaB.FindAsync("shared", default))?.Length);

        await replicaA.PutAsync("shared", new MemoryStream("three"u8.ToArray()), Write(), default);
        Assert.Equal(5, (await replicaB.FindAsync("shared", default))?.Length);
        await replicaA.DeleteAsync("shared", default);
        Assert.Null(await replicaB.FindAsync("shared", default));

        // Without notifications a replica trusts its lookup for CacheTtl (a negative one for at most 2 s).
        await replicaA.PutAsync("shared", new MemoryStream("four"u8.ToArray()), Write(), default);
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Equal(4, (await silent.FindAsync("shared", default))?.Length);
    }

    [Fact]
    public async Task AReaderOfAReplacedVersion_FailsInsteadOfMixingVersions()
    {
        var first = RandomNumberGenerator.GetBytes(300_000);
        await PutAsync("r", first);
        var entry = (await Store.FindAsync("r", default))!;
        using var reader = (await Store.OpenAsync(entry, 0, 10, default))!;
        var buffer = new byte[10];
        Assert.Equal(10, await reader.ReadAsync(buffer, 0, default));

        await PutAsync("r", RandomNumberGenerator.GetBytes(300_000));

        // Beyond the opened range: a new GET pinned to the old version's ETag, which no longer exists.
        await Assert.ThrowsAsync<IOException>(async () => await reader.ReadAsync(buffer, 1000, default));
        Assert.Null(await Store.OpenAsync(entry, 0, 10, default));
    }

    /// <summary>
    /// An object another writer is putting (another replica's commit) is not found until it is whole, and the version it
    /// replaces stays readable whole meanwhile — S3's PUT. A miss decides from such a lookup that another replica's fill
    /// stored the key and serves what it finds: a half-written object found there would be served as the whole one.
    /// </summary>
    [Fact]
    public async Task AnObjectAnotherWriterIsPutting_IsNotFoundUntilWhole_AndTheVersionItReplacesStaysWhole()
    {
        var first = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        var second = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var key = _prefix + "putting";
        async Task<int> LookUpWhilePuttingAsync(byte[] body, byte[]? before)
        {
            var put = _s3.Client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = S3ServerFixture.Bucket,
                Key = key,
                InputStream = new SlowStream(body, 128 * 1024, TimeSpan.FromMilliseconds(40)),
                UseChunkEncoding = false,
            });
            var lookups = 0;
            while (!put.IsCompleted)
            {
                var store = Reopen();
                var found = await store.FindAsync("putting", default);
                // Read whole as found, or replaced between the lookup and the read (null: the caller looks again).
                var read = found is null ? null : await ReadAll(store, found);
                if (found is not null && read is not null)
                {
                    Assert.True(read.AsSpan().SequenceEqual(body) || (before is not null && read.AsSpan().SequenceEqual(before)),
                        $"found {found.Length} bytes while {body.Length} were being put over {before?.Length ?? 0}");
                }
                lookups++;
                await Task.Delay(50);
            }
            await put;
            return lookups;
        }

        Assert.InRange(await LookUpWhilePuttingAsync(first, null), 5, int.MaxValue);
        Assert.Equal(first, await ReadAll("putting"));
        Assert.InRange(await LookUpWhilePuttingAsync(second, first), 5, int.MaxValue);
        Assert.Equal(second, await ReadAll(Reopen(), (await Reopen().FindAsync("putting", default))!));
    }

    /// <summary>A body a client sends slowly: a pause of <paramref name="delay"/> before each <paramref name="chunk"/> bytes, however it is read.</summary>
    private sealed class SlowStream(byte[] body, int chunk, TimeSpan delay) : MemoryStream(body, writable: false)
    {
        private long _pausedAt = -1;

        private TimeSpan Pause()
        {
            var block = Position / chunk;
            if (block == _pausedAt)
            {
                return TimeSpan.Zero;
            }
            _pausedAt = block;
            return delay;
        }

        private int Limit(int count) => (int)Math.Min(count, chunk - (Position % chunk));

        public override int Read(byte[] buffer, int offset, int count)
        {
            Thread.Sleep(Pause());
            return base.Read(buffer, offset, Limit(count));
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            await Task.Delay(Pause(), cancellationToken);
            return await base.ReadAsync(buffer.AsMemory(offset, Limit(count)), cancellationToken);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Pause(), cancellationToken);
            return await base.ReadAsync(buffer[..Limit(buffer.Length)], cancellationToken);
        }
    }

    [Fact]
    public async Task ObjectsLiveUnderThePrefix_AsPlainS3Objects_WithTheirMetadata()
    {
        await PutAsync("dir/a.txt", "hello"u8.ToArray(), Write(contentType: "text/plain", headers: new KeyValuePair<string, string>("cache-control", "max-age=60")));

        using var get = await _s3.Client.GetObjectAsync(S3ServerFixture.Bucket, _prefix + "dir/a.txt");
        using var content = new StreamReader(get.ResponseStream);
        Assert.Equal("hello", await content.ReadToEndAsync());
        Assert.Equal("text/plain", get.Headers.ContentType);
        Assert.Equal("max-age=60", get.Headers.CacheControl);
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData("hello"u8)) + "\"", get.ETag);
    }
}

/// <summary>Two in-process buses that deliver to each other, as two replicas' Redis buses would.</summary>
internal sealed class TestBus : IClusterBus
{
    private TestBus? _peer;

    public event Action<ClusterMessage>? Received;

    public event Action? Reconnected
    {
        add { }
        remove { }
    }

    public static (TestBus A, TestBus B) Pair()
    {
        var a = new TestBus();
        var b = new TestBus();
        a._peer = b;
        b._peer = a;
        return (a, b);
    }

    public void Publish(ClusterMessage message) => _peer?.Received?.Invoke(message);
}
