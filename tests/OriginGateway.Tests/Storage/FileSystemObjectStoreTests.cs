using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Storage;

public sealed class FileSystemObjectStoreTests : ObjectStoreContractTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "og-store-" + Guid.NewGuid().ToString("N"));
    private readonly string _bucketDirectory;
    private FileSystemObjectStore _store;

    public FileSystemObjectStoreTests()
    {
        _bucketDirectory = Path.Combine(_root, "bucket");
        _store = Open();
    }

    private protected override IObjectStore Store => _store;

    private protected override IObjectStore Reopen() => _store = Open();

    private FileSystemObjectStore Open() => new(_bucketDirectory, flushToDisk: false, TimeProvider.System, NullLogger.Instance);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Keys_NeverBecomePaths_AndNothingIsWrittenOutsideTheBucketDirectory()
    {
        foreach (var key in LegalKeyList)
        {
            await PutAsync(key, "x"u8.ToArray());
        }

        Assert.Equal(["bucket"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
        var files = Directory.EnumerateFiles(_bucketDirectory, "*", SearchOption.AllDirectories).ToList();
        Assert.All(files, f => Assert.Matches(@"objects/[0-9a-f]{2}/[0-9a-f]{64}\.[0-9a-f]{16}\.obj$", f));
        Assert.Equal(LegalKeyList.Length, files.Count);
    }

    [Fact]
    public async Task Restart_RebuildsTheIndexWithMetadata()
    {
        var entry = await PutAsync("dir/a b.txt", "hello"u8.ToArray(), Write(contentType: "text/plain", headers: [new("x-cos-meta-k", "v")]));
        await PutAsync("second", "2"u8.ToArray());

        _store = Open();

        var reloaded = _store.Find("dir/a b.txt")!;
        Assert.Equal(entry.ETag, reloaded.ETag);
        Assert.Equal(entry.LastModified, reloaded.LastModified);
        Assert.Equal("text/plain", reloaded.ContentType);
        Assert.Equal(entry.Headers, reloaded.Headers);
        Assert.Equal("hello"u8.ToArray(), await ReadAll("dir/a b.txt"));
        Assert.Equal(2, _store.Count);
    }

    /// <summary>
    /// The index keeps no path per object: an entry makes its file's path from its key and version, the one its commit
    /// renamed the file to and the one a restart found it under; the record in the file keeps the whole gateway metadata.
    /// </summary>
    [Fact]
    public async Task AnEntrysPath_IsItsFile_AfterTheCommitAndARestart_AndTheRecordKeepsTheProvenance()
    {
        var metadata = new Dictionary<string, string> { [CompactMetadata.OriginUrl] = "http://origin.example/p.bin", [CompactMetadata.PulledAt] = "2026-12-04T19:00:00Z" };
        var entry = await PutAsync("path/of", "body"u8.ToArray(), Write() with { GatewayMetadata = metadata });
        var files = Directory.EnumerateFiles(Path.Combine(_bucketDirectory, "objects"), "*.obj", SearchOption.AllDirectories).ToList();

        Assert.Equal(files, [entry.Location]);
        Assert.Empty(entry.GatewayMetadata);
        _store = Open();
        var reloaded = _store.Find("path/of")!;
        Assert.Equal(files, [reloaded.Location]);
        Assert.Equal("body"u8.ToArray(), await ReadAll("path/of"));
        using var handle = File.OpenHandle(reloaded.Location);
        Assert.Equal(metadata, ObjectFileFormat.TryReadTrailer(handle)!.Gateway);
    }

    [Fact]
    public async Task Restart_SweepsStagingLeftovers_AndKeepsOnlyTheNewestVersion()
    {
        var entry = await PutAsync("k", "new"u8.ToArray());
        var stale = Path.Combine(Path.GetDirectoryName(entry.Location)!, Path.GetFileName(entry.Location).Replace($".{entry.Version:x16}.", $".{entry.Version - 1:x16}.", StringComparison.Ordinal));
        File.Copy(entry.Location, stale);
        // A crash mid-write leaves a staging file beside the objects; one from a version that staged into staging/ too.
        var leftover = Path.Combine(Path.GetDirectoryName(entry.Location)!, "crashed.tmp");
        await File.WriteAllTextAsync(leftover, "half an object");
        var formerStaging = Directory.CreateDirectory(Path.Combine(_bucketDirectory, "staging")).FullName;
        await File.WriteAllTextAsync(Path.Combine(formerStaging, "older.tmp"), "half of another");
        var probe = Path.Combine(_bucketDirectory, "objects", ".ready-12345");
        await File.WriteAllBytesAsync(probe, new byte[4096]);

        _store = Open();

        Assert.False(File.Exists(leftover));
        Assert.False(Directory.Exists(formerStaging));
        Assert.False(File.Exists(probe));
        Assert.False(File.Exists(stale));
        Assert.Equal("new"u8.ToArray(), await ReadAll("k"));
    }

    [Fact]
    public async Task Restart_DiscardsATruncatedObjectFile()
    {
        var entry = await PutAsync("t", new byte[5000]);
        using (var file = new FileStream(entry.Location, FileMode.Open))
        {
            file.SetLength(4000);
        }

        _store = Open();

        Assert.Null(_store.Find("t"));
        Assert.False(File.Exists(entry.Location));
    }

    [Fact]
    public async Task ObjectRemovedBehindTheGatewaysBack_DegradesToAMiss()
    {
        var entry = await PutAsync("removed", "x"u8.ToArray());
        File.Delete(entry.Location);

        Assert.Null(_store.Open(entry));
        Assert.Null(_store.Find("removed"));
        Assert.Empty(_store.List(new ListRequest("", null, "", 10)).Contents);
    }

    [Fact]
    public async Task Overwrite_RemovesThePreviousVersionFile()
    {
        var first = await PutAsync("o", "1"u8.ToArray());
        var second = await PutAsync("o", "2"u8.ToArray());

        Assert.False(File.Exists(first.Location));
        Assert.True(File.Exists(second.Location));
        Assert.True(second.Version > first.Version);
    }

    [Fact]
    public async Task AnAttributeFile_GoesWithItsVersion_OnOverwriteAndDelete_AlsoAfterARestart()
    {
        string[] AttributeFiles() => Directory.EnumerateFiles(_bucketDirectory, "*.attr", SearchOption.AllDirectories).ToArray();
        var tagged = new ObjectAttributes("private", [], [new("k", "v")]);

        // Changed in this process, then overwritten: the version's attribute file goes with it.
        var first = await PutAsync("a", "1"u8.ToArray());
        Assert.True((await _store.SetAttributesAsync(first, tagged, default))!.AttributesFileBeside);
        Assert.Single(AttributeFiles());
        var second = await PutAsync("a", "2"u8.ToArray());
        Assert.False(second.AttributesFileBeside);
        Assert.Empty(AttributeFiles());

        // Changed, then found again by a restart's scan, then overwritten or deleted.
        await _store.SetAttributesAsync(second, tagged, default);
        var other = await PutAsync("b", "3"u8.ToArray());
        await _store.SetAttributesAsync(other, tagged, default);
        Assert.Equal(2, AttributeFiles().Length);
        _store = Open();
        Assert.True(_store.Find("a")!.AttributesFileBeside);
        Assert.Equal(tagged, _store.Find("b")!.Attributes);
        await PutAsync("a", "4"u8.ToArray());
        Assert.True(_store.Delete("b"));
        Assert.Empty(AttributeFiles());
    }

    [Fact]
    public async Task FailedWrites_LeaveNoStagingFiles()
    {
        await _store.PutAsync("x", new MemoryStream(new byte[10]), Write(max: 5), CancellationToken.None);
        await _store.PutAsync("y", new MemoryStream(Encoding.UTF8.GetBytes("abc")), Write(md5: new byte[16]), CancellationToken.None);

        Assert.Empty(Directory.EnumerateFiles(_bucketDirectory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task SetAttributes_LeavesNoStagingFile_WhenItLands_NorWhenTheVersionWasReplaced()
    {
        var first = await PutAsync("attrs", "1"u8.ToArray());
        var attributes = new ObjectAttributes("private", [], [new("k", "v")]);
        Assert.NotNull(_store.SetAttributes(first, attributes));
        await PutAsync("attrs", "2"u8.ToArray());
        Assert.Null(_store.SetAttributes(first, attributes));

        Assert.Empty(Directory.EnumerateFiles(_bucketDirectory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Utf8OrdinalComparer_OrdersSurrogatesAfterPrivateUse()
    {
        Assert.True(Utf8OrdinalComparer.Instance.Compare("\uE000", "😀") < 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare("\uFFFD", "😀") < 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare("a", "ab") < 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare("😀", Utf8OrdinalComparer.Max) < 0);
        Assert.Equal(0, Utf8OrdinalComparer.Instance.Compare("x", "x"));
    }
}
