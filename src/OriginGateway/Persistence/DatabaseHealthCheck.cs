using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OriginGateway.Persistence;

/// <summary>Readiness: the control database answers.</summary>
internal sealed class DatabaseHealthCheck(ControlDatabase database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(database.Ping(out var problem) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(problem));
}
