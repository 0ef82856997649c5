using Microsoft.Extensions.Diagnostics.HealthChecks;
using OriginGateway.Hosting;

namespace OriginGateway.Observability;

/// <summary>Readiness: 503 from SIGTERM on, so load balancers stop sending while the gateway drains.</summary>
internal sealed class DrainingHealthCheck(ShutdownSignal shutdown) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(shutdown.Draining ? HealthCheckResult.Unhealthy("shutting down") : HealthCheckResult.Healthy());
}
