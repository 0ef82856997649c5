using Microsoft.Extensions.Hosting;

namespace OriginGateway.Lifecycle;

/// <summary>
/// Shutdown as the gateway's parts see it: <see cref="Draining"/> from SIGTERM on (readiness turns 503),
/// <see cref="Aborted"/> once <c>Shutdown:GracePeriod</c> has passed since (fills still running stop).
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _aborted = new();

    public ShutdownSignal(IHostApplicationLifetime lifetime, ShutdownOptions options)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            Draining = true;
            _aborted.CancelAfter(options.GracePeriod);
        });
    }

    public bool Draining { get; private set; }

    public CancellationToken Aborted => _aborted.Token;

    public void Dispose() => _aborted.Dispose();
}
