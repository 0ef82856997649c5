using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OriginGateway.Lifecycle;

/// <summary>Readiness: 503 while the start-up load waits for the control database (<see cref="StartupGate"/>).</summary>
internal sealed class StartupHealthCheck(StartupGate gate, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(gate.IsOpen
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture,
                $"the configuration is not loaded yet: {gate.Reason}; every request but /healthz, /readyz and /metrics is answered 503 until the control database answers (waiting for {(time.GetUtcNow() - gate.HeldSince).TotalSeconds:F0} s)")));
}
