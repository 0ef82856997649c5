using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OriginGateway.Persistence;

/// <summary>Readiness: the control database answers.</summary>
internal sealed class DatabaseHealthCheck(ControlDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await database.PingAsync(cancellationToken).ConfigureAwait(false) is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy();
}
