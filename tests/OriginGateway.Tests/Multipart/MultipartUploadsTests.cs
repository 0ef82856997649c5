using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Multipart;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Multipart;

public sealed class MultipartUploadsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "og-uploads-" + Guid.NewGuid().ToString("N"));
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));

    private FileSystemObjectStore OpenStore() => new(_root, flushToDisk: false, _time, NullLogger.Instance);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static ObjectWrite Part(int length) => new(null, [], null, length, length);

    private static async Task PutPartAsync(MultipartUploads uploads, MultipartUpload upload, int number, int length) =>
        Assert.Equal(ObjectWriteStatus.Committed,
            (await uploads.Store.PutAsync(MultipartUploads.PartKey(upload, number), new MemoryStream(new byte[length]), Part(length), CancellationToken.None)).Status);

    [Fact]
    public async Task AnUpload_KeepsItsKeyAndMetadata_AndSurvivesARestart_WithPartsInNumberOrder()
    {
        var uploads = new MultipartUploads(OpenStore(), _time);
        var upload = await uploads.InitiateAsync("dir/é key", "video/mp4", [new("x-cos-meta-a", "b")], ObjectAttributes.Default, CancellationToken.None);
        await PutPartAsync(uploads, upload, 10, 3);
        await PutPartAsync(uploads, upload, 2, 5);
        await PutPartAsync(uploads, upload, 10000, 1);

        var reopened = new MultipartUploads(OpenStore(), _time);
        var found = (await reopened.FindAsync(upload.Id, default));

        Assert.NotNull(found);
        Assert.Equal("dir/é key", found.Key);
        Assert.Equal("video/mp4", found.ContentType);
        Assert.Equal([new KeyValuePair<string, string>("x-cos-meta-a", "b")], found.Headers);
        Assert.Equal(_time.Now, found.Initiated);
        Assert.Equal([2, 10, 10000], (await reopened.PartsAsync(found, default)).Select(p => p.Number));
        Assert.Equal([upload.Id], (await reopened.AllAsync(default)).Select(u => u.Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../objects")]
    [InlineData("ABCDEF")]
    [InlineData("abc/00001")]
    public async Task Find_RefusesWhatIsNotAnUploadId_EvenAPartKey(string id)
    {
        var uploads = new MultipartUploads(OpenStore(), _time);
        var upload = await uploads.InitiateAsync("k", null, [], ObjectAttributes.Default, CancellationToken.None);
        await PutPartAsync(uploads, upload, 1, 1);

        Assert.Null((await uploads.FindAsync(id, default)));
        Assert.Null(await uploads.FindAsync(MultipartUploads.PartKey(upload, 1), default));
    }

    [Fact]
    public async Task Sweep_AbortsOnlyUploadsOlderThanTheCutoff_AndRemovesPartsWhoseUploadIsGone()
    {
        var store = OpenStore();
        var uploads = new MultipartUploads(store, _time);
        var old = await uploads.InitiateAsync("old", null, [], ObjectAttributes.Default, CancellationToken.None);
        await PutPartAsync(uploads, old, 1, 10);
        _time.Advance(TimeSpan.FromHours(2));
        var recent = await uploads.InitiateAsync("recent", null, [], ObjectAttributes.Default, CancellationToken.None);
        await PutPartAsync(uploads, recent, 1, 10);
        // A part that arrived after its upload was completed or aborted.
        var orphan = await uploads.InitiateAsync("orphan", null, [], ObjectAttributes.Default, CancellationToken.None);
        await PutPartAsync(uploads, orphan, 7, 10);
        store.Delete(orphan.Id);

        var swept = await uploads.SweepAsync(_time.Now - TimeSpan.FromHours(1), default);

        Assert.Equal(1, swept);
        Assert.Null((await uploads.FindAsync(old.Id, default)));
        Assert.NotNull((await uploads.FindAsync(recent.Id, default)));
        Assert.Equal([recent.Id + "/00001"], store.List(new ListRequest("", null, "", 100)).Contents.Select(e => e.Key).Where(k => k.Contains('/')));
        Assert.Equal([recent.Id], (await uploads.AllAsync(default)).Select(u => u.Id));
    }

    [Fact]
    public async Task AStoredETag_ReplacesTheContentMd5_AndSurvivesARestart()
    {
        var store = OpenStore();
        var write = new ObjectWrite(null, [], null, 3, 3, ETag: "\"0123456789abcdef0123456789abcdef-2\"");
        await store.PutAsync("k", new MemoryStream([1, 2, 3]), write, CancellationToken.None);

        var entry = OpenStore().Find("k")!;

        Assert.Equal("\"0123456789abcdef0123456789abcdef-2\"", entry.ETag);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(new byte[] { 1, 2, 3 })), entry.Md5Hex);
    }
}
