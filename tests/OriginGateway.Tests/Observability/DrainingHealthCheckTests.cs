using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OriginGateway.Lifecycle;

namespace OriginGateway.Tests.Observability;

public sealed class DrainingHealthCheckTests
{
    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationTokenSource Stopping { get; } = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => Stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => Stopping.Cancel();
    }

    [Fact]
    public async Task Ready_UntilStopping_ThenNotReady_AndFillsAreAbortedOnlyAfterTheGracePeriod()
    {
        var lifetime = new Lifetime();
        using var signal = new ShutdownSignal(lifetime, new ShutdownOptions { GracePeriod = TimeSpan.FromMilliseconds(200) });
        var check = new DrainingHealthCheck(signal);

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        lifetime.StopApplication();

        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.False(signal.Aborted.IsCancellationRequested);
        var aborted = new TaskCompletionSource();
        using var registration = signal.Aborted.Register(() => aborted.TrySetResult());
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
