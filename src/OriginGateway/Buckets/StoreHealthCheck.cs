using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OriginGateway.Buckets;

/// <summary>Readiness: every bucket's object store accepts writes.</summary>
internal sealed class StoreHealthCheck(BucketRegistry buckets) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        foreach (var bucket in buckets.All)
        {
            if (await bucket.Store.CheckHealthAsync(cancellationToken).ConfigureAwait(false) is { } problem)
            {
                return HealthCheckResult.Unhealthy(problem);
            }
        }
        return HealthCheckResult.Healthy();
    }
}
