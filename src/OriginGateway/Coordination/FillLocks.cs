using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace OriginGateway.Coordination;

/// <summary>
/// Who fills a key across replicas. Within one replica the fill registry already lets one fill run
/// per key; this decides between replicas. A claim lasts while it is renewed (its holder alive).
/// </summary>
internal interface IFillLocks
{
    /// <summary>A claim on filling the key, or null while another replica holds it.</summary>
    Task<IAsyncDisposable?> TryClaimAsync(string bucket, string key);
}

/// <summary>One replica: every claim is granted (the fill registry coalesces within the process).</summary>
internal sealed class LocalFillLocks : IFillLocks
{
    private static readonly Task<IAsyncDisposable?> Granted = Task.FromResult<IAsyncDisposable?>(new NoClaim());

    public Task<IAsyncDisposable?> TryClaimAsync(string bucket, string key) => Granted;

    private sealed class NoClaim : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// Claims as Redis locks (<c>SET NX PX</c> with this replica's token) renewed every third of
/// <see cref="CoordinationOptions.FillLockTtl"/> while the fill runs and released when it ends; a
/// replica that dies stops renewing, and the claim expires. When Redis cannot be asked, the claim
/// is granted: a fill per replica instead of a stalled request.
/// </summary>
internal sealed class RedisFillLocks(RedisConnection redis, CoordinationOptions options, TimeProvider time) : IFillLocks
{
    public async Task<IAsyncDisposable?> TryClaimAsync(string bucket, string key)
    {
        var name = (RedisKey)(redis.Prefix + "fill:" + bucket + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));
        var token = (RedisValue)(redis.ReplicaId + "/" + Guid.NewGuid().ToString("N"));
        // null: Redis could not answer — granted locally.
        var taken = await redis.RunAsync<bool?>(async db => await db.LockTakeAsync(name, token, options.FillLockTtl).ConfigureAwait(false), null).ConfigureAwait(false);
        return taken switch
        {
            false => null,
            true => new Claim(redis, name, token, options.FillLockTtl, time),
            null => new Claim(null, name, token, options.FillLockTtl, time),
        };
    }

    private sealed class Claim : IAsyncDisposable
    {
        private readonly RedisConnection? _redis;
        private readonly RedisKey _name;
        private readonly RedisValue _token;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewal;

        public Claim(RedisConnection? redis, RedisKey name, RedisValue token, TimeSpan ttl, TimeProvider time)
        {
            _redis = redis;
            _name = name;
            _token = token;
            _renewal = redis is null ? Task.CompletedTask : RenewAsync(ttl, time);
        }

        private async Task RenewAsync(TimeSpan ttl, TimeProvider time)
        {
            using var timer = new PeriodicTimer(ttl / 3, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    await _redis!.RunAsync(async db => await db.LockExtendAsync(_name, _token, ttl).ConfigureAwait(false), false).ConfigureAwait(false);
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
            if (_redis is not null)
            {
                await _redis.RunAsync(async db => await db.LockReleaseAsync(_name, _token).ConfigureAwait(false), false).ConfigureAwait(false);
            }
        }
    }
}
