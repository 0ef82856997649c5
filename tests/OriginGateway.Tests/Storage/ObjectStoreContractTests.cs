using System.Security.Cryptography;
using System.Text;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Storage;

/// <summary>What every object store must do; each implementation derives and supplies a store.</summary>
public abstract class ObjectStoreContractTests
{
    private protected abstract IObjectStore Store { get; }

    /// <summary>
    /// Whether the server behind the store can hold a key. Always for the filesystem store and for S3;
    /// s3rver, the tests' S3 stand-in, keeps each key as a file path, so it cannot hold a path segment
    /// over 255 bytes, nor <c>a//b</c> beside <c>a/b</c>.
    /// </summary>
    private protected virtual bool CanHold(string key) => true;

    /// <summary>
    /// Whether the server keeps a version readable, unchanged, while a new one replaces it (the
    /// filesystem store and S3 do, and so does the tests' s3rver behind tests/node/s3rver.js).
    /// </summary>
    private protected virtual bool ReplacesAtomically => true;

    /// <summary>The same store as another process (or replica) sees it: a new instance over the same data, nothing cached.</summary>
    private protected abstract IObjectStore Reopen();

    private static readonly ObjectAttributes PrivateTagged = new("private", [new ObjectGrant("FULL_CONTROL", "qcs::cam::uin/1:uin/1")], [new("k1", "v1"), new("k2", "v2")]);

    [Fact]
    public async Task Attributes_WrittenWithTheBody_AreKept_AndSurviveARestart()
    {
        var body = "attributes"u8.ToArray();
        var write = Write(length: body.Length) with { Attributes = PrivateTagged };
        var entry = await PutAsync("attr/with-body", body, write);
        Assert.Equal(PrivateTagged, entry.Attributes);
        Assert.Equal(PrivateTagged, (await Store.FindAsync("attr/with-body", default))!.Attributes);
        var reopened = Reopen();
        Assert.Equal(PrivateTagged, (await reopened.FindAsync("attr/with-body", default))!.Attributes);
        Assert.Equal(body, await ReadAll("attr/with-body"));
    }

    /// <summary>
    /// Headers known only once the body ended (an S3 upload's trailing checksum) are kept like the others — also of a body
    /// longer than the S3 store's part size, which that store would otherwise describe to S3 before its end — and are read
    /// back by another process.
    /// </summary>
    [Fact]
    public async Task TrailingHeaders_JoinTheStoredHeadersAtTheCommit_AlsoOfALargeBody_AndSurviveARestart()
    {
        var body = System.Security.Cryptography.RandomNumberGenerator.GetBytes(11 * 1024 * 1024 + 5);
        var trailing = new List<KeyValuePair<string, string>>();
        var read = false;
        var write = Write(length: body.Length, headers: new KeyValuePair<string, string>("cache-control", "no-cache"))
            with { TrailingHeaders = () => { Assert.True(read, "trailing headers were asked for before the body's end"); return trailing; } };
        var result = await Store.PutAsync("trailing/large.bin", new EndNotingStream(body, () =>
        {
            read = true;
            trailing.Add(new("x-amz-checksum-crc32", "P5bUbg=="));
        }), write, CancellationToken.None);
        Assert.Equal(ObjectWriteStatus.Committed, result.Status);
        var expected = new[] { new KeyValuePair<string, string>("cache-control", "no-cache"), new KeyValuePair<string, string>("x-amz-checksum-crc32", "P5bUbg==") };
        Assert.Equal(expected, result.Entry!.Headers);
        Assert.Equal(expected, (await Reopen().FindAsync("trailing/large.bin", default))!.Headers);
        Assert.Equal(body, await ReadAll("trailing/large.bin"));
    }

    /// <summary>A body that calls <paramref name="atEnd"/> when it is read to its end (as a trailer is parsed then).</summary>
    private sealed class EndNotingStream(byte[] body, Action atEnd) : MemoryStream(body, writable: false)
    {
        private bool _noted;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await base.ReadAsync(buffer, cancellationToken);
            if (n == 0 && !_noted)
            {
                _noted = true;
                atEnd();
            }
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            if (n == 0 && !_noted)
            {
                _noted = true;
                atEnd();
            }
            return n;
        }
    }

    /// <summary>The gateway's own metadata of an object (a completion's upload id, its part layout) is read back by another process.</summary>
    [Fact]
    public async Task GatewayMetadata_IsKeptWithTheObject_AndSurvivesARestart()
    {
        var metadata = new Dictionary<string, string> { ["completed-upload"] = "0123456789abcdef", ["parts"] = "5242880*4,3145728" };
        var body = "metadata"u8.ToArray();
        await PutAsync("gateway/metadata", body, Write(length: body.Length) with { GatewayMetadata = metadata });

        var seen = await Reopen().FindAsync("gateway/metadata", default);
        Assert.Equal(metadata.OrderBy(m => m.Key), seen!.GatewayMetadata.OrderBy(m => m.Key));
    }

    /// <summary>
    /// A pulled object's provenance (origin URL, pull time, origin Last-Modified) is written with it but not held in the
    /// in-memory index, which keeps the names the gateway reads at run time; the MD5 is the content's, made or loaded.
    /// </summary>
    [Fact]
    public async Task GatewayMetadata_TheIndexKeepsWhatIsReadAtRunTime_NotTheProvenance()
    {
        var metadata = new Dictionary<string, string>
        {
            [CompactMetadata.OriginUrl] = "http://origin.example/pulled/key.bin",
            [CompactMetadata.PulledAt] = "2026-12-04T19:00:00.0000000+00:00",
            [CompactMetadata.OriginLastModified] = "Wed, 02 Dec 2026 10:00:00 GMT",
            [CompactMetadata.OriginETag] = "\"6571a2c1-400\"",
            ["task-id"] = "t-1",
        };
        var body = "pulled body"u8.ToArray();
        var written = await PutAsync("gateway/pulled", body, Write(length: body.Length) with { GatewayMetadata = metadata });
        var kept = new[] { new KeyValuePair<string, string>(CompactMetadata.OriginETag, "\"6571a2c1-400\""), new("task-id", "t-1") };
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(body));

        Assert.Equal(kept, written.GatewayMetadata.OrderBy(m => m.Key));
        Assert.Equal(md5, written.Md5Hex);
        var seen = (await Reopen().FindAsync("gateway/pulled", default))!;
        Assert.Equal(kept, seen.GatewayMetadata.OrderBy(m => m.Key));
        Assert.True(seen.GatewayMetadata.TryGetValue("task-id", out var task) && task == "t-1");
        Assert.False(seen.GatewayMetadata.ContainsKey(CompactMetadata.OriginUrl));
        Assert.Equal(md5, seen.Md5Hex);
        Assert.Equal($"\"{md5}\"", seen.ETag);
    }

    [Fact]
    public async Task SetAttributes_ChangesOnlyTheAttributes_SeenAfterARestart_AndGoWithTheObject()
    {
        var body = RandomNumberGenerator.GetBytes(70_000);
        var entry = await PutAsync("attr/set", body);
        Assert.Equal(ObjectAttributes.Default, entry.Attributes);

        var updated = await Store.SetAttributesAsync(entry, PrivateTagged, default);
        Assert.NotNull(updated);
        Assert.Equal(PrivateTagged, updated.Attributes);
        Assert.Equal((entry.ETag, entry.Length, entry.LastModified, entry.StoreTag, entry.Location), (updated.ETag, updated.Length, updated.LastModified, updated.StoreTag, updated.Location));

        var seen = await Reopen().FindAsync("attr/set", default);
        Assert.Equal(PrivateTagged, seen!.Attributes);
        Assert.Equal((entry.ETag, entry.LastModified), (seen.ETag, seen.LastModified));
        Assert.Equal(body, await ReadAll("attr/set"));

        // Replaced again, then back to the defaults.
        var cleared = await Store.SetAttributesAsync(seen, ObjectAttributes.Default, default);
        Assert.Equal(ObjectAttributes.Default, cleared!.Attributes);
        Assert.Equal(ObjectAttributes.Default, (await Reopen().FindAsync("attr/set", default))!.Attributes);

        // Deleted with the object: the same key written again starts with the defaults.
        await Store.SetAttributesAsync(cleared, PrivateTagged, default);
        Assert.True(await Store.DeleteAsync("attr/set", default));
        Assert.Null(await Store.FindAsync("attr/set", default));
        var again = await PutAsync("attr/set", body);
        Assert.Equal(ObjectAttributes.Default, again.Attributes);
        Assert.Equal(ObjectAttributes.Default, (await Reopen().FindAsync("attr/set", default))!.Attributes);
    }

    [Fact]
    public async Task SetAttributes_OfAVersionThatWasReplaced_ChangesNothing()
    {
        var old = await PutAsync("attr/replaced", "old"u8.ToArray());
        await PutAsync("attr/replaced", "new!"u8.ToArray());
        Assert.Null(await Store.SetAttributesAsync(old, PrivateTagged, default));
        var current = await Reopen().FindAsync("attr/replaced", default);
        Assert.Equal(ObjectAttributes.Default, current!.Attributes);
        Assert.Equal(4, current.Length);
    }

    private protected static ObjectWrite Write(long max = 1 << 30, byte[]? md5 = null, long? length = null, string? contentType = null, params KeyValuePair<string, string>[] headers) =>
        new(contentType, headers, md5, length, max);

    private protected async Task<ObjectEntry> PutAsync(string key, byte[] body, ObjectWrite? write = null)
    {
        var result = await Store.PutAsync(key, new MemoryStream(body), write ?? Write(), CancellationToken.None);
        Assert.Equal(ObjectWriteStatus.Committed, result.Status);
        return result.Entry!;
    }

    private protected async Task<byte[]> ReadAll(string key)
    {
        var entry = (await Store.FindAsync(key, default)) ?? throw new Xunit.Sdk.XunitException($"key '{key}' not found");
        return await ReadAll(Store, entry) ?? throw new Xunit.Sdk.XunitException("object vanished");
    }

    /// <summary>The body of <paramref name="entry"/> as <paramref name="store"/> reads it; null when it was replaced or removed before it could be opened.</summary>
    private protected static async Task<byte[]?> ReadAll(IObjectStore store, ObjectEntry entry)
    {
        using var reader = await store.OpenAsync(entry, default);
        if (reader is null)
        {
            return null;
        }
        var buffer = new byte[reader.Length];
        var offset = 0;
        while (offset < buffer.Length)
        {
            var read = await reader.ReadAsync(buffer.AsMemory(offset), offset, default);
            Assert.True(read > 0, "short read");
            offset += read;
        }
        return buffer;
    }

    private static ObjectWrite Conditional(bool mustNotExist = false, string? mustMatch = null) =>
        Write() with { Condition = new WriteCondition(mustNotExist, mustMatch) };

    private async Task<ObjectWriteStatus> PutStatusAsync(string key, byte[] body, ObjectWrite write) =>
        (await Store.PutAsync(key, new MemoryStream(body), write, CancellationToken.None)).Status;

    [Fact]
    public async Task ConditionalWrites_CreateOnlyWhenAbsent_ReplaceOnlyTheObjectNamed_AndAFailedOneStoresNothing()
    {
        Assert.Equal(ObjectWriteStatus.Committed, await PutStatusAsync("cond/k", "first"u8.ToArray(), Conditional(mustNotExist: true)));
        var first = (await Store.FindAsync("cond/k", default))!;

        Assert.Equal(ObjectWriteStatus.PreconditionFailed, await PutStatusAsync("cond/k", "second"u8.ToArray(), Conditional(mustNotExist: true)));
        Assert.Equal(ObjectWriteStatus.PreconditionFailed, await PutStatusAsync("cond/k", "third"u8.ToArray(), Conditional(mustMatch: "\"00000000000000000000000000000000\"")));
        Assert.Equal(ObjectWriteStatus.NoCurrentObject, await PutStatusAsync("cond/absent", "x"u8.ToArray(), Conditional(mustMatch: "*")));
        Assert.Equal("first"u8.ToArray(), await ReadAll("cond/k"));
        Assert.Null(await Store.FindAsync("cond/absent", default));

        // The ETag named, quoted or not, or any object (*): replaced.
        Assert.Equal(ObjectWriteStatus.Committed, await PutStatusAsync("cond/k", "fourth"u8.ToArray(), Conditional(mustMatch: first.ETag.Trim('"'))));
        Assert.Equal(ObjectWriteStatus.Committed, await PutStatusAsync("cond/k", "fifth"u8.ToArray(), Conditional(mustMatch: "*")));
        Assert.Equal("fifth"u8.ToArray(), await ReadAll("cond/k"));
        // The ETag read before those writes no longer names the object.
        Assert.Equal(ObjectWriteStatus.PreconditionFailed, await PutStatusAsync("cond/k", "sixth"u8.ToArray(), Conditional(mustMatch: first.ETag)));
        Assert.Equal("fifth"u8.ToArray(), await ReadAll("cond/k"));
    }

    /// <summary>
    /// Two writers that both saw no object: each stages its body, and whichever commits second finds the other's
    /// object at its commit — checked there, not when it started.
    /// </summary>
    [Fact]
    public async Task OfTwoCreatesRacing_OnlyTheFirstToCommitWins()
    {
        using var a = Store.BeginWrite("cond/race", Conditional(mustNotExist: true));
        using var b = Store.BeginWrite("cond/race", Conditional(mustNotExist: true));
        await a.WriteAsync("from a"u8.ToArray(), default);
        await b.WriteAsync("from b"u8.ToArray(), default);

        Assert.Equal(ObjectWriteStatus.Committed, (await b.CommitAsync(default)).Status);
        var lost = await a.CommitAsync(default);

        Assert.Equal(ObjectWriteStatus.PreconditionFailed, lost.Status);
        Assert.Null(lost.Entry);
        Assert.Equal("from b"u8.ToArray(), await ReadAll("cond/race"));
    }

    [Fact]
    public async Task AConditionalDelete_RemovesOnlyTheObjectItNames()
    {
        var entry = await PutAsync("cond/delete", "kept"u8.ToArray());

        var other = await Assert.ThrowsAsync<WriteConditionFailedException>(async () => await Store.DeleteAsync("cond/delete", default, new WriteCondition(false, "\"00000000000000000000000000000000\"")));
        Assert.Equal(ObjectWriteStatus.PreconditionFailed, other.Status);
        Assert.Equal("kept"u8.ToArray(), await ReadAll("cond/delete"));
        var none = await Assert.ThrowsAsync<WriteConditionFailedException>(async () => await Store.DeleteAsync("cond/never", default, new WriteCondition(false, "*")));
        Assert.Equal(ObjectWriteStatus.NoCurrentObject, none.Status);

        Assert.True(await Store.DeleteAsync("cond/delete", default, new WriteCondition(false, entry.ETag)));
        Assert.Null(await Store.FindAsync("cond/delete", default));
    }

    internal static readonly string[] LegalKeyList =
    [
        "a", "a/b", "a//b", "a/../b", "../../outside", "/leading", "dir/", ".", "..", "a\\b", "%2e%2e", "腾讯云/对象.txt", "emoji 😀 key",
        new string('k', 850), new string('腾', 283) + "a",
    ];

    public static TheoryData<string> LegalKeys() => new(LegalKeyList);

    [Theory]
    [MemberData(nameof(LegalKeys))]
    public async Task Put_LegalKey_RoundTrips(string key)
    {
        if (!CanHold(key))
        {
            return;
        }
        var body = Encoding.UTF8.GetBytes("body of " + key);

        var entry = await PutAsync(key, body);

        Assert.Equal(body, await ReadAll(key));
        Assert.Equal(key, entry.Key);
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(body)) + "\"", entry.ETag);
    }

    [Fact]
    public async Task Put_KeyAndItsChildren_Coexist()
    {
        await PutAsync("a", "1"u8.ToArray());
        await PutAsync("a/b", "2"u8.ToArray());
        await PutAsync("a/", "3"u8.ToArray());
        if (CanHold("a//b"))
        {
            await PutAsync("a//b", "4"u8.ToArray());
            Assert.Equal("4"u8.ToArray(), await ReadAll("a//b"));
        }

        Assert.Equal("1"u8.ToArray(), await ReadAll("a"));
        Assert.Equal("2"u8.ToArray(), await ReadAll("a/b"));
        Assert.Equal("3"u8.ToArray(), await ReadAll("a/"));
    }

    [Fact]
    public async Task Put_KeepsContentTypeAndHeaders()
    {
        await PutAsync("m", "x"u8.ToArray(), Write(contentType: "image/png", headers: [new("cache-control", "max-age=60"), new("x-cos-meta-owner", "me")]));

        var entry = (await Store.FindAsync("m", default))!;
        Assert.Equal("image/png", entry.ContentType);
        Assert.Contains(new KeyValuePair<string, string>("x-cos-meta-owner", "me"), entry.Headers);
        Assert.Contains(new KeyValuePair<string, string>("cache-control", "max-age=60"), entry.Headers);
    }

    [Fact]
    public async Task Put_DigestMismatch_StoresNothing()
    {
        var result = await Store.PutAsync("d", new MemoryStream("abc"u8.ToArray()), Write(md5: MD5.HashData("xyz"u8)), CancellationToken.None);

        Assert.Equal(ObjectWriteStatus.DigestMismatch, result.Status);
        Assert.Null((await Store.FindAsync("d", default)));
    }

    [Fact]
    public async Task Put_DigestMismatch_KeepsThePreviousVersion()
    {
        await PutAsync("d", "old"u8.ToArray());

        var result = await Store.PutAsync("d", new MemoryStream("new"u8.ToArray()), Write(md5: MD5.HashData("other"u8)), CancellationToken.None);

        Assert.Equal(ObjectWriteStatus.DigestMismatch, result.Status);
        Assert.Equal("old"u8.ToArray(), await ReadAll("d"));
    }

    [Fact]
    public async Task Put_OverMaximum_StoresNothing()
    {
        var result = await Store.PutAsync("big", new MemoryStream(new byte[101]), Write(max: 100), CancellationToken.None);

        Assert.Equal(ObjectWriteStatus.TooLarge, result.Status);
        Assert.Null((await Store.FindAsync("big", default)));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(12)]
    public async Task Put_BodyNotOfDeclaredLength_StoresNothing(int declared)
    {
        var result = await Store.PutAsync("short", new MemoryStream(new byte[11]), Write(length: declared), CancellationToken.None);

        Assert.Equal(ObjectWriteStatus.LengthMismatch, result.Status);
        Assert.Null((await Store.FindAsync("short", default)));
    }

    [Fact]
    public async Task Put_BodyThatFailsMidway_StoresNothing()
    {
        await PutAsync("f", "old"u8.ToArray());

        var failed = await Assert.ThrowsAsync<BodyReadException>(() => Store.PutAsync("f", new FailingStream(), Write(), CancellationToken.None));
        Assert.IsType<IOException>(failed.InnerException);

        Assert.Equal("old"u8.ToArray(), await ReadAll("f"));
    }

    [Fact]
    public async Task Delete_RemovesKey_AndIsFalseForMissingKeys()
    {
        await PutAsync("gone", "x"u8.ToArray());

        Assert.True((await Store.DeleteAsync("gone", default)));
        Assert.Null((await Store.FindAsync("gone", default)));
        Assert.False((await Store.DeleteAsync("gone", default)));
    }

    [Fact]
    public async Task Open_BeforeOverwrite_KeepsReadingTheOldVersion()
    {
        var oldBody = new byte[100_000];
        Array.Fill(oldBody, (byte)'o');
        await PutAsync("v", oldBody);
        var entry = (await Store.FindAsync("v", default))!;
        using var reader = (await Store.OpenAsync(entry, default))!;

        await PutAsync("v", "new"u8.ToArray());

        var buffer = new byte[oldBody.Length];
        var offset = 0;
        while (offset < buffer.Length)
        {
            offset += await reader.ReadAsync(buffer.AsMemory(offset), offset, default);
        }
        Assert.Equal(oldBody, buffer);
        Assert.Equal("new"u8.ToArray(), await ReadAll("v"));
    }

    [Fact]
    public async Task ConcurrentReaders_DuringOverwrites_NeverSeeAMixedOrPartialObject()
    {
        if (!ReplacesAtomically)
        {
            return;
        }
        const int size = 256 * 1024;
        var bodies = new[] { (byte)'A', (byte)'B' }.Select(b => Enumerable.Repeat(b, size).ToArray()).ToArray();
        await PutAsync("hot", bodies[0]);
        using var stop = new CancellationTokenSource();

        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 40; i++)
            {
                await PutAsync("hot", bodies[i % 2]);
            }
            stop.Cancel();
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested || reads == 0)
            {
                var entry = (await Store.FindAsync("hot", default));
                Assert.NotNull(entry);
                using var reader = (await Store.OpenAsync(entry, default));
                if (reader is null)
                {
                    continue; // replaced between lookup and open: the caller looks again
                }
                var buffer = new byte[reader.Length];
                var offset = 0;
                while (offset < buffer.Length)
                {
                    offset += await reader.ReadAsync(buffer.AsMemory(offset), offset, default);
                }
                Assert.Equal(size, buffer.Length);
                Assert.True(buffer.All(b => b == buffer[0]), "a reader saw a mix of two versions");
                Assert.Equal(entry.Md5Hex, Convert.ToHexStringLower(MD5.HashData(buffer)));
                reads++;
            }
        })).ToArray();

        await Task.WhenAll(readers.Append(writer));
    }

    [Fact]
    public async Task List_OrdersKeysByUtf8Bytes()
    {
        string[] keys = ["b", "a", "\uE000", "😀", "a/b", "aa", "A", "~"];
        foreach (var key in keys)
        {
            await PutAsync(key, "x"u8.ToArray());
        }

        var listed = (await Store.ListAsync(new ListRequest("", null, "", 1000), default)).Contents.Select(e => e.Key).ToArray();

        var expected = keys.OrderBy(k => Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToArray();
        Assert.Equal(expected, listed);
        Assert.Equal(["A", "a", "a/b", "aa", "b", "~", "\uE000", "😀"], listed);
    }

    [Fact]
    public async Task List_PrefixDelimiterAndMarker()
    {
        foreach (var key in new[] { "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photos/top.jpg", "photos/", "videos/v.mp4", "readme" })
        {
            await PutAsync(key, "x"u8.ToArray());
        }

        var root = (await Store.ListAsync(new ListRequest("", "/", "", 1000), default));
        Assert.Equal(["readme"], root.Contents.Select(e => e.Key));
        Assert.Equal(["photos/", "videos/"], root.CommonPrefixes);

        var photos = (await Store.ListAsync(new ListRequest("photos/", "/", "", 1000), default));
        Assert.Equal(["photos/", "photos/top.jpg"], photos.Contents.Select(e => e.Key));
        Assert.Equal(["photos/2024/", "photos/2025/"], photos.CommonPrefixes);

        var afterMarker = (await Store.ListAsync(new ListRequest("photos/", null, "photos/2024/b.jpg", 1000), default));
        Assert.Equal(["photos/2025/c.jpg", "photos/top.jpg"], afterMarker.Contents.Select(e => e.Key));
    }

    [Fact]
    public async Task List_PagesThroughEveryKeyOnce()
    {
        var keys = Enumerable.Range(0, 25).Select(i => $"k/{i:D3}").Concat(Enumerable.Range(0, 5).Select(i => $"d{i}/x")).ToList();
        foreach (var key in keys)
        {
            await PutAsync(key, "x"u8.ToArray());
        }

        var seen = new List<string>();
        var marker = "";
        for (var page = 0; page < 100; page++)
        {
            var result = (await Store.ListAsync(new ListRequest("", "/", marker, 2), default));
            seen.AddRange(result.Contents.Select(e => e.Key));
            seen.AddRange(result.CommonPrefixes);
            if (!result.IsTruncated)
            {
                break;
            }
            marker = result.NextMarker!;
        }

        Assert.Equal(["d0/", "d1/", "d2/", "d3/", "d4/", "k/"], seen);
    }

    [Fact]
    public async Task List_MaxKeysTruncates_WithNextMarker()
    {
        foreach (var key in new[] { "a", "b", "c" })
        {
            await PutAsync(key, "x"u8.ToArray());
        }

        var page = (await Store.ListAsync(new ListRequest("", null, "", 2), default));

        Assert.True(page.IsTruncated);
        Assert.Equal("b", page.NextMarker);
        Assert.Equal(["a", "b"], page.Contents.Select(e => e.Key));
        Assert.False((await Store.ListAsync(new ListRequest("", null, "", 3), default)).IsTruncated);
    }

    private sealed class FailingStream : Stream
    {
        private int _reads;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_reads++ > 2)
            {
                throw new IOException("connection reset");
            }
            buffer.AsSpan(offset, Math.Min(count, 1000)).Fill((byte)'z');
            return Math.Min(count, 1000);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
