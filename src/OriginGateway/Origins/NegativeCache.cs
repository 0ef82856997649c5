using System.Collections.Concurrent;

namespace OriginGateway.Origins;

/// <summary>
/// Remembers origin 404s for <see cref="OriginPullOptions.NegativeCacheTtl"/> (off when zero), so
/// repeated misses of an absent key answer 404 without asking the origin. Local to the process.
/// </summary>
internal sealed class NegativeCache(OriginPullOptions options, TimeProvider time)
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<(string Bucket, string Key), DateTimeOffset> _entries = new();

    public bool Enabled => options.NegativeCacheTtl > TimeSpan.Zero;

    public bool Contains(string bucket, string key)
    {
        if (!Enabled || !_entries.TryGetValue((bucket, key), out var expires))
        {
            return false;
        }
        if (expires > time.GetUtcNow())
        {
            return true;
        }
        _entries.TryRemove((bucket, key), out _);
        return false;
    }

    public void Add(string bucket, string key)
    {
        if (!Enabled)
        {
            return;
        }
        if (_entries.Count >= MaxEntries)
        {
            var now = time.GetUtcNow();
            foreach (var (entry, expires) in _entries)
            {
                if (expires <= now)
                {
                    _entries.TryRemove(entry, out _);
                }
            }
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }
        }
        _entries[(bucket, key)] = time.GetUtcNow() + options.NegativeCacheTtl;
    }

    public void Remove(string bucket, string key) => _entries.TryRemove((bucket, key), out _);
}
