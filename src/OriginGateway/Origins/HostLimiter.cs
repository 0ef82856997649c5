using System.Collections.Concurrent;

namespace OriginGateway.Origins;

/// <summary>Caps concurrent origin fetches per host:port (<see cref="OriginPullOptions.PerHostConcurrency"/>).</summary>
internal sealed class HostLimiter(OriginPullOptions options)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> AcquireAsync(string host, CancellationToken cancellationToken)
    {
        var semaphore = _slots.GetOrAdd(host, _ => new SemaphoreSlim(options.PerHostConcurrency));
        await semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(semaphore);
    }

    private sealed class Slot(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
