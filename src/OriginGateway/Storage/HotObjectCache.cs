using System.Collections.Concurrent;

namespace OriginGateway.Storage;

/// <summary>
/// The bodies of small stored objects, kept in memory so that a hit on one makes no system call for its
/// body (no open, read or close: a profile of 1 KiB hits showed those at about a seventh of the gateway's
/// CPU). One cache for every filesystem bucket of the process, bounded by <c>HotObjects:CacheSize</c>;
/// objects up to <c>HotObjects:MaxObjectSize</c> are admitted on their first read.
/// </summary>
/// <remarks>
/// A body is cached under the <see cref="ObjectEntry"/> it was read for — one version of one key, whose
/// stored bytes never change (a new write is a new entry; ACL and tag changes make a new entry too). A
/// lookup always starts from the store's current entry, so a replaced or deleted object is never served from
/// here; its body only waits to be evicted, and is evicted first.
/// </remarks>
internal sealed class HotObjectCache
{
    /// <summary>Caches nothing.</summary>
    public static readonly HotObjectCache None = new(0, 0);

    private readonly ConcurrentDictionary<ObjectEntry, CachedBody> _bodies = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _evicting = new();
    private readonly long _capacity;
    private readonly long _maxObjectSize;
    private long _bytes;

    public HotObjectCache(long capacityBytes, long maxObjectBytes)
    {
        _capacity = Math.Max(0, capacityBytes);
        _maxObjectSize = Math.Min(Math.Max(0, maxObjectBytes), _capacity);
    }

    /// <summary>Bytes held now (stale bodies included until they are evicted).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public int Count => _bodies.Count;

    /// <summary>Whether a body of this length is kept here once read.</summary>
    public bool Admits(long length) => length > 0 && length <= _maxObjectSize;

    /// <summary>A reader over the entry's cached body, or null when it is not cached.</summary>
    public ObjectReader? TryOpen(ObjectEntry entry) => _bodies.TryGetValue(entry, out var body) ? body : null;

    /// <summary>
    /// Keeps <paramref name="body"/> (the whole body of <paramref name="entry"/>) and returns a reader over it.
    /// <paramref name="isCurrent"/> tells the eviction whether the entry is still its key's current version.
    /// </summary>
    public ObjectReader Add(ObjectEntry entry, byte[] body, Func<ObjectEntry, bool> isCurrent)
    {
        var cached = new CachedBody(body, isCurrent);
        if (!_bodies.TryAdd(entry, cached))
        {
            return _bodies.TryGetValue(entry, out var other) ? other : cached;
        }
        if (Interlocked.Add(ref _bytes, body.Length) > _capacity)
        {
            Evict();
        }
        return cached;
    }

    /// <summary>
    /// Down to three quarters of the capacity, by one thread at a time: an add that finds another thread evicting goes
    /// on (its bytes are counted, and the evicting thread looks at the count again once it has let go). Every add past
    /// the capacity used to wait for the lock and then walk the whole cache itself, though the thread before it had
    /// made room: with a full cache and 64 reads of new keys at a time, those walks were ~16 % of the gateway's samples
    /// (bench/README.md, "The hot-object cache's eviction convoy").
    /// </summary>
    private void Evict()
    {
        while (Interlocked.Read(ref _bytes) > _capacity && _evicting.TryEnter())
        {
            try
            {
                EvictLocked();
            }
            finally
            {
                _evicting.Exit();
            }
        }
    }

    /// <summary>Bodies of replaced or deleted versions first, then any.</summary>
    private void EvictLocked()
    {
        var target = _capacity / 4 * 3;
        foreach (var (entry, body) in _bodies)
        {
            if (!body.IsCurrent(entry))
            {
                Remove(entry);
            }
        }
        foreach (var (entry, _) in _bodies)
        {
            if (Interlocked.Read(ref _bytes) <= target)
            {
                break;
            }
            Remove(entry);
        }
    }

    private void Remove(ObjectEntry entry)
    {
        if (_bodies.TryRemove(entry, out var removed))
        {
            Interlocked.Add(ref _bytes, -removed.Length);
        }
    }

    /// <summary>A cached body: read by any number of requests at once; nothing to close.</summary>
    private sealed class CachedBody(byte[] body, Func<ObjectEntry, bool> isCurrent) : ObjectReader
    {
        public override long Length => body.Length;

        public bool IsCurrent(ObjectEntry entry) => isCurrent(entry);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken)
        {
            if (offset >= body.Length)
            {
                return ValueTask.FromResult(0);
            }
            var count = (int)Math.Min(buffer.Length, body.Length - offset);
            body.AsSpan((int)offset, count).CopyTo(buffer.Span);
            return ValueTask.FromResult(count);
        }

        public override void Dispose()
        {
        }
    }
}
