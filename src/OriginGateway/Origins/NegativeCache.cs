using System.Collections.Concurrent;

namespace OriginGateway.Origins;

/// <summary>
/// Remembers origin 404s for <see cref="OriginPullOptions.NegativeCacheTtl"/> (off when zero), so
/// repeated misses of an absent key answer 404 without asking the origin. Kept in the process and,
/// with Redis coordination, shared: a 404 one replica saw holds for all.
/// </summary>
internal sealed class NegativeCache(OriginPullOptions options, TimeProvider time, Coordination.IClusterState shared)
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<(string Bucket, string Key), DateTimeOffset> _entries = new();

    public bool Enabled => options.NegativeCacheTtl > TimeSpan.Zero;

    /// <summary>Whether the origin answered 404 for the key recently, here or (shared) on another replica.</summary>
    public async ValueTask<bool> ContainsAsync(string bucket, string key)
    {
        if (!Enabled)
        {
            return false;
        }
        if (ContainsLocally(bucket, key))
        {
            return true;
        }
        return await shared.ContainsAsync(SharedName(bucket, key)).ConfigureAwait(false) == true;
    }

    private bool ContainsLocally(string bucket, string key)
    {
        if (!_entries.TryGetValue((bucket, key), out var expires))
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

    private static string SharedName(string bucket, string key) =>
        "neg:" + bucket + ":" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

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
        shared.Set(SharedName(bucket, key), options.NegativeCacheTtl);
    }

    public void Remove(string bucket, string key)
    {
        if (_entries.TryRemove((bucket, key), out _) || Enabled)
        {
            shared.Remove(SharedName(bucket, key));
        }
    }
}
