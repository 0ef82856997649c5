using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OriginGateway.Lifecycle;

/// <summary>Readiness: 503 from SIGTERM on, so load balancers stop sending while the gateway drains.</summary>
internal sealed class DrainingHealthCheck(ShutdownSignal shutdown) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(shutdown.Draining ? HealthCheckResult.Unhealthy("shutting down") : HealthCheckResult.Healthy());
}
