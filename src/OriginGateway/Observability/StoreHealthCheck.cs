using Microsoft.Extensions.Diagnostics.HealthChecks;
using OriginGateway.Buckets;

namespace OriginGateway.Observability;

/// <summary>Readiness: every bucket's object store accepts writes.</summary>
internal sealed class StoreHealthCheck(BucketRegistry buckets) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        foreach (var bucket in buckets.All)
        {
            if (!bucket.Store.IsHealthy(out var problem))
            {
                return Task.FromResult(HealthCheckResult.Unhealthy(problem));
            }
        }
        return Task.FromResult(HealthCheckResult.Healthy());
    }
}
