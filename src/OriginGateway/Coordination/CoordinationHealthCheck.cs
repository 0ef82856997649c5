using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OriginGateway.Coordination;

/// <summary>
/// Readiness with Redis coordination: Degraded (still 200 — the replica serves) while Redis cannot be
/// reached or refuses writes (full, a read-only replica, unable to save), since fill claims, the negative
/// cache and rate limits are then this replica's alone.
/// </summary>
internal sealed class CoordinationHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        return await redis.CheckWritableAsync().ConfigureAwait(false) switch
        {
            null => HealthCheckResult.Healthy(),
            (Refusal.Refused, var why) => HealthCheckResult.Degraded($"Redis refuses writes ({why}): coordination is local to this replica until it takes them again"),
            (_, { } why) => HealthCheckResult.Degraded($"Redis cannot be reached ({why}): coordination is local to this replica until it returns"),
            _ => HealthCheckResult.Degraded("Redis cannot be reached: coordination is local to this replica until it returns"),
        };
    }
}
