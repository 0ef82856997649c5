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
    public void AnAddPastTheCapacity_WhileAnotherThreadEvicts_GoesOn_AndTheCacheEndsWithinItsCapacity()
    {
        const int Size = 1024, Held = 4;
        var cache = new HotObjectCache(Held * Size, Size);
        using var walking = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var holdTheWalk = 0;
        bool IsCurrent(ObjectEntry entry)
        {
            // The first eviction's walk stops here until the test lets it go on.
            if (Interlocked.Exchange(ref holdTheWalk, 0) == 1)
            {
                walking.Set();
                gate.Wait();
            }
            return true;
        }
        ObjectEntry Entry(int i) => new($"k/{i}", "-", 1, Size, "00", DateTimeOffset.UnixEpoch, "application/octet-stream", [], new Dictionary<string, string>());
        var body = new byte[Size];
        for (var i = 0; i < Held; i++)
        {
            cache.Add(Entry(i), body, IsCurrent);
        }

        Volatile.Write(ref holdTheWalk, 1);
        using var added = new ManualResetEventSlim();
        var evicting = new Thread(() => cache.Add(Entry(Held), body, IsCurrent)) { IsBackground = true };
        var adding = new Thread(() =>
        {
            cache.Add(Entry(Held + 1), body, IsCurrent);
            added.Set();
        }) { IsBackground = true };
        bool wentOn;
        try
        {
            evicting.Start();
            Assert.True(walking.Wait(TimeSpan.FromSeconds(30)), "the eviction did not start");

            // Past the capacity while the other thread's walk is held: this add neither waits for it nor walks itself.
            adding.Start();
            wentOn = added.Wait(TimeSpan.FromSeconds(30));
        }
        finally
        {
            gate.Set();
        }
        evicting.Join();
        adding.Join();
        Assert.True(wentOn, "an add past the capacity waited for another thread's eviction");

        // The evicting thread counted the add it let through: within the capacity, and down to three quarters of it.
        Assert.InRange(cache.Bytes, 1, Held * Size * 3 / 4);
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
