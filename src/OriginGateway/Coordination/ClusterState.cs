using StackExchange.Redis;

namespace OriginGateway.Coordination;

/// <summary>
/// Small shared facts with an expiry (the negative cache, rate-limit counters). Every answer may be
/// null — "not known across replicas" — and the caller then relies on what this replica knows.
/// </summary>
internal interface IClusterState
{
    /// <summary>Whether a fact is set; null when it cannot be told.</summary>
    Task<bool?> ContainsAsync(string name);

    /// <summary>Sets a fact for <paramref name="ttl"/> (fire-and-forget).</summary>
    void Set(string name, TimeSpan ttl);

    /// <summary>Clears a fact (fire-and-forget).</summary>
    void Remove(string name);

    /// <summary>Adds one to a counter that expires <paramref name="ttl"/> after its first increment; the new count, or null.</summary>
    Task<long?> IncrementAsync(string name, TimeSpan ttl);
}

/// <summary>One replica: nothing is shared.</summary>
internal sealed class LocalClusterState : IClusterState
{
    private static readonly Task<bool?> Unknown = Task.FromResult<bool?>(null);
    private static readonly Task<long?> NoCount = Task.FromResult<long?>(null);

    public Task<bool?> ContainsAsync(string name) => Unknown;

    public void Set(string name, TimeSpan ttl)
    {
    }

    public void Remove(string name)
    {
    }

    public Task<long?> IncrementAsync(string name, TimeSpan ttl) => NoCount;
}

/// <summary>Facts as Redis keys with a TTL, counters as INCR + PEXPIRE in one script.</summary>
internal sealed class RedisClusterState(RedisConnection redis) : IClusterState
{
    private const string IncrementScript = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

    public Task<bool?> ContainsAsync(string name) =>
        redis.RunAsync<bool?>(async db => await db.KeyExistsAsync(redis.Prefix + name).ConfigureAwait(false), null);

    public void Set(string name, TimeSpan ttl) =>
        _ = redis.RunAsync(async db => await db.StringSetAsync(redis.Prefix + name, "1", ttl).ConfigureAwait(false), false);

    public void Remove(string name) =>
        _ = redis.RunAsync(async db => await db.KeyDeleteAsync(redis.Prefix + name).ConfigureAwait(false), false);

    public Task<long?> IncrementAsync(string name, TimeSpan ttl) =>
        redis.RunAsync<long?>(async db => (long)await db.ScriptEvaluateAsync(IncrementScript, [(RedisKey)(redis.Prefix + name)], [(long)ttl.TotalMilliseconds]).ConfigureAwait(false), null);
}
