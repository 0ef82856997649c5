using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OriginGateway.Coordination;

/// <summary>
/// Readiness with Redis coordination: Degraded (still 200 — the replica serves) while Redis cannot be
/// reached, since fills, the negative cache and rate limits are then this replica's alone.
/// </summary>
internal sealed class CoordinationHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var reached = await redis.RunAsync(async db => { await db.PingAsync().ConfigureAwait(false); return true; }, false).ConfigureAwait(false);
        return reached
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded(redis.LastFailure is { } why
                ? $"Redis cannot be reached ({why}): coordination is local to this replica until it returns"
                : "Redis cannot be reached: coordination is local to this replica until it returns");
    }
}
