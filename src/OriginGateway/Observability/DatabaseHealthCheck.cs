using Microsoft.Extensions.Diagnostics.HealthChecks;
using OriginGateway.Persistence;

namespace OriginGateway.Observability;

/// <summary>Readiness: the control database answers.</summary>
internal sealed class DatabaseHealthCheck(ControlDatabase database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(database.Ping(out var problem) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(problem));
}
