using Microsoft.Extensions.Caching.Distributed;
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

/// <summary>
/// Facts as entries of the standard distributed cache (<c>AddStackExchangeRedisCache</c>, on the
/// gateway's one multiplexer) with an absolute expiry; counters as INCR + PEXPIRE in one script. Every
/// call goes through the connection's pipeline (deadline, circuit breaker).
/// </summary>
internal sealed class RedisClusterState(RedisConnection redis, IDistributedCache cache) : IClusterState
{
    private const string IncrementScript = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";
    private static readonly byte[] Present = [1];

    public Task<bool?> ContainsAsync(string name) =>
        redis.RunCallAsync<bool?>(async token => await cache.GetAsync(name, token).ConfigureAwait(false) is not null, null);

    public void Set(string name, TimeSpan ttl) =>
        _ = redis.RunCallAsync(async token =>
        {
            await cache.SetAsync(name, Present, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl }, token).ConfigureAwait(false);
            return true;
        }, false);

    public void Remove(string name) =>
        _ = redis.RunCallAsync(async token =>
        {
            await cache.RemoveAsync(name, token).ConfigureAwait(false);
            return true;
        }, false);

    public Task<long?> IncrementAsync(string name, TimeSpan ttl) =>
        redis.RunAsync<long?>(async db => (long)await db.ScriptEvaluateAsync(IncrementScript, [(RedisKey)(redis.Prefix + name)], [(long)ttl.TotalMilliseconds]).ConfigureAwait(false), null);
}
