using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Storage;

/// <summary>
/// The filesystem store with the hot-object cache: the whole store contract holds with a cache small
/// enough to evict all the time, and a cached body is served without its file — only while it is the
/// key's current version.
/// </summary>
public sealed class HotObjectCacheTests : ObjectStoreContractTests, IDisposable
{
    private const long Capacity = 160 * 1024;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "og-hot-" + Guid.NewGuid().ToString("N"));
    private readonly HotObjectCache _cache = new(Capacity, 64 * 1024);
    private FileSystemObjectStore _store;

    public HotObjectCacheTests() => _store = Open();

    private protected override IObjectStore Store => _store;

    private protected override IObjectStore Reopen() => _store = Open();

    private FileSystemObjectStore Open() => new(_root, flushToDisk: false, TimeProvider.System, NullLogger.Instance, _cache);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ASmallObjectOnceRead_IsServedWithoutItsFile_ALargeOneIsNot()
    {
        var small = RandomNumberGenerator.GetBytes(1024);
        var large = RandomNumberGenerator.GetBytes(64 * 1024 + 1);
        var smallEntry = await PutAsync("hot/small", small);
        var largeEntry = await PutAsync("hot/large", large);
        Assert.Equal(small, await ReadAll("hot/small"));
        Assert.Equal(large, await ReadAll("hot/large"));
        Assert.Equal(1024, _cache.Bytes);

        // The files go (as only an operator would do it): the cached body is still served, the large object is not.
        File.Delete(smallEntry.Location);
        File.Delete(largeEntry.Location);
        Assert.Equal(small, await ReadAll("hot/small"));
        Assert.Null(await _store.OpenAsync(largeEntry, default));
    }

    [Fact]
    public async Task ACachedObject_ReplacedOrDeleted_IsNeverServedAgain_AndRangesReadTheCachedBody()
    {
        var first = RandomNumberGenerator.GetBytes(3000);
        var second = RandomNumberGenerator.GetBytes(2000);
        await PutAsync("hot/k", first);
        Assert.Equal(first, await ReadAll("hot/k"));

        await PutAsync("hot/k", second);
        Assert.Equal(second, await ReadAll("hot/k"));
        var entry = (await _store.FindAsync("hot/k", default))!;
        using (var reader = (await _store.OpenAsync(entry, 1500, 500, default))!)
        {
            var part = new byte[600];
            Assert.Equal(500, await reader.ReadAsync(part, 1500, default));
            Assert.Equal(second.AsSpan(1500, 500).ToArray(), part.AsSpan(0, 500).ToArray());
            Assert.Equal(0, await reader.ReadAsync(part, 2000, default));
        }

        Assert.True(await _store.DeleteAsync("hot/k", default));
        Assert.Null(await _store.FindAsync("hot/k", default));
    }

    [Fact]
    public async Task TheCache_StaysWithinItsCapacity_AndEveryReadIsRight()
    {
        var bodies = new Dictionary<string, byte[]>();
        for (var i = 0; i < 60; i++)
        {
            var key = $"many/{i % 40}";
            bodies[key] = RandomNumberGenerator.GetBytes(4096 + i);
            await PutAsync(key, bodies[key]);
            foreach (var (k, body) in bodies)
            {
                Assert.Equal(body, await ReadAll(k));
                Assert.InRange(_cache.Bytes, 0, Capacity);
            }
        }
        Assert.InRange(_cache.Count, 1, 40);
    }

    [Fact]
    public void Admits_OnlyBodiesUpToTheLimit_AndNothingWhenOff()
    {
        Assert.True(_cache.Admits(1));
        Assert.True(_cache.Admits(64 * 1024));
        Assert.False(_cache.Admits(0));
        Assert.False(_cache.Admits(64 * 1024 + 1));
        Assert.False(HotObjectCache.None.Admits(1));
        Assert.False(new HotObjectCache(1000, 64 * 1024).Admits(1001));
    }
}
