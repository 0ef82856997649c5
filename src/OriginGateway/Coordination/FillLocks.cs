using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using OriginGateway.Protocol;
using StackExchange.Redis;

namespace OriginGateway.Coordination;

/// <summary>
/// Who fills a key across replicas. Within one replica the fill registry already lets one fill run
/// per key; this decides between replicas. A claim lasts while it is renewed (its holder alive).
/// </summary>
internal interface IFillLocks
{
    /// <summary>
    /// A claim on filling the key, or null while another replica holds it. <paramref name="heldElsewhere"/>: this replica
    /// already found the key claimed and is polling until that claim ends.
    /// </summary>
    Task<IAsyncDisposable?> TryClaimAsync(string bucket, string key, bool heldElsewhere = false);
}

/// <summary>The outcomes of a claim attempt, as <c>origin_gateway_fill_claims_total</c> labels them.</summary>
internal static class FillClaimOutcome
{
    /// <summary>Taken in Redis: this replica fills the key.</summary>
    public const string Taken = "taken";

    /// <summary>Another replica holds the key: this one waits for that fill.</summary>
    public const string Held = "held";

    /// <summary>Redis did not answer a waiting replica's poll while it was not down: polled again.</summary>
    public const string Unanswered = "unanswered";

    /// <summary>Redis could not be asked: granted on this replica alone (the key may be fetched once per replica).</summary>
    public const string Local = "local";
}

/// <summary>One replica: every claim is granted (the fill registry coalesces within the process).</summary>
internal sealed class LocalFillLocks : IFillLocks
{
    private static readonly Task<IAsyncDisposable?> Granted = Task.FromResult<IAsyncDisposable?>(new NoClaim());

    public Task<IAsyncDisposable?> TryClaimAsync(string bucket, string key, bool heldElsewhere = false) => Granted;

    private sealed class NoClaim : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// Claims as Redis locks (<c>SET NX PX</c> with this replica's token) renewed every third of
/// <see cref="CoordinationOptions.FillLockTtl"/> while the fill runs and released when it ends; a
/// replica that dies stops renewing, and the claim expires. When Redis cannot be asked, the claim
/// is granted: a fill per replica instead of a stalled request. A replica already waiting for another's
/// claim is the exception while Redis is not down (the breaker closed): one poll Redis did not answer in
/// time is polled again, not granted — granting it would fetch the key a second time beside the fill it
/// waits for. Renewal keeps the claim through
/// Redis's troubles: a renewal Redis did not answer is tried again after a tenth of the TTL (not a
/// third), a claim that expired meanwhile (Redis restarted empty, or answered too late) is taken
/// again, and a claim granted without Redis is taken in Redis once it answers. Only when another
/// replica holds the key is the claim lost: the fill goes on (what it stores is whole either way),
/// a warning says the key may be fetched twice, and nothing of the other replica's claim is touched.
/// Every attempt is counted in <c>origin_gateway_fill_claims_total{outcome}</c>.
/// </summary>
internal sealed partial class RedisFillLocks(RedisConnection redis, CoordinationOptions options, TimeProvider time, GatewayMetrics metrics, ILogger<RedisFillLocks> logger) : IFillLocks
{
    public async Task<IAsyncDisposable?> TryClaimAsync(string bucket, string key, bool heldElsewhere = false)
    {
        var hash = KeyHash.Full(key);
        var name = ClaimName(redis.Prefix, bucket, hash);
        var token = (RedisValue)(redis.ReplicaId + "/" + Guid.NewGuid().ToString("N"));
        var ttl = options.FillLockTtl;
        // null: Redis could not answer — granted locally.
        var taken = await redis.RunAsync<bool?>(async db => await db.LockTakeAsync(name, token, ttl).ConfigureAwait(false), null).ConfigureAwait(false);
        if (taken == false)
        {
            metrics.FillClaim(FillClaimOutcome.Held);
            return null;
        }
        if (taken is null && heldElsewhere && redis.Available)
        {
            // Not a grant: the take is undone in case Redis received it late (the release follows it on the same
            // connection and deletes the key only while it carries this attempt's token).
            metrics.FillClaim(FillClaimOutcome.Unanswered);
            _ = ReleaseAsync(redis, name, token);
            return null;
        }
        metrics.FillClaim(taken == true ? FillClaimOutcome.Taken : FillClaimOutcome.Local);
        // The key's hash in log lines is the first 16 hex digits of the same SHA-256 (as every other line about the key).
        return new Claim(redis, ttl, time, logger, name, token, held: taken == true, bucket, hash[..16]);
    }

    /// <summary>The Redis key of the fill claim on a key of <paramref name="bucket"/> (<paramref name="digest"/>: <see cref="KeyHash.Full"/>).</summary>
    internal static RedisKey ClaimName(string prefix, string bucket, string digest) => prefix + "fill:" + bucket + ":" + digest;

    /// <summary>Deletes the claim's key while it carries <paramref name="token"/>, also while the breaker is open; false when it did not or could not.</summary>
    private static Task<bool> ReleaseAsync(RedisConnection redis, RedisKey name, RedisValue token) =>
        redis.RunPastBreakerAsync(async db => (int)await db.ScriptEvaluateAsync(ReleaseScript, [name], [token]).ConfigureAwait(false) == 1, false);

    /// <summary>Extends the claim while the key carries its token, takes the key while it is free: 1; another token: 0.</summary>
    private const string RenewScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        elseif not holder then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    /// <summary>Deletes the key while it carries the claim's token: 1; else 0.</summary>
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private sealed class Claim : IAsyncDisposable
    {
        private readonly RedisConnection _redis;
        private readonly TimeSpan _ttl;
        private readonly TimeProvider _time;
        private readonly ILogger _logger;
        private readonly RedisKey _name;
        private readonly RedisValue _token;
        private readonly string _bucket;
        private readonly string _keyHash;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewal;

        public Claim(RedisConnection redis, TimeSpan ttl, TimeProvider time, ILogger logger, RedisKey name, RedisValue token, bool held, string bucket, string keyHash)
        {
            _redis = redis;
            _ttl = ttl;
            _time = time;
            _logger = logger;
            _name = name;
            _token = token;
            _bucket = bucket;
            _keyHash = keyHash;
            _renewal = RenewAsync(held ? ttl / 3 : ttl / 10);
        }

        private async Task RenewAsync(TimeSpan next)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(next, _time, _stop.Token).ConfigureAwait(false);
                    // One atomic step (a script, so a command Redis received late cannot come between a read and a
                    // write): extended while the key carries this token — also when a take Redis could not answer in time
                    // reached it after all — else taken if the key is free. null: no answer.
                    var held = await _redis.RunAsync<bool?>(async db => (int)await db.ScriptEvaluateAsync(RenewScript, [_name], [_token, (long)_ttl.TotalMilliseconds]).ConfigureAwait(false) == 1, null).ConfigureAwait(false);
                    if (held == false)
                    {
                        LogClaimLost(_logger, _bucket, _keyHash);
                        return;
                    }
                    next = held == true ? _ttl / 3 : _ttl / 10;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewal.ConfigureAwait(false);
            _stop.Dispose();
            // Released in any case, also while the breaker is open: a release deletes the key only while it carries this
            // token, so another replica's claim is safe, and a take that reached Redis late is not left to expire. The
            // fill's clients wait for the release only while Redis answers: during an outage it may take its whole
            // deadline, and it goes on without them.
            var release = ReleaseAsync(_redis, _name, _token);
            if (_redis.Available)
            {
                await release.ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.FillClaimLost, Level = LogLevel.Warning,
        Message = "Fill claim on bucket {Bucket} key#{KeyHash} is held by another replica (Redis could not be reached in time): the key may be fetched from the origin twice")]
    private static partial void LogClaimLost(ILogger logger, string bucket, string keyHash);
}
