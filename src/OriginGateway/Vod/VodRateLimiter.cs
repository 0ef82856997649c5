using System.Collections.Concurrent;

namespace OriginGateway.Vod;

/// <summary>
/// At most <see cref="VodOptions.RequestsPerSecond"/> API requests per SecretId in each second of the
/// clock — counted across replicas with Redis coordination, by each replica alone otherwise (or
/// while Redis cannot be asked).
/// </summary>
internal sealed class VodRateLimiter(VodOptions options, TimeProvider time, Coordination.IClusterState shared)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public async ValueTask<bool> TryAcquireAsync(string secretId)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        if (await shared.IncrementAsync($"vod-rate:{secretId}:{second}", TimeSpan.FromSeconds(2)).ConfigureAwait(false) is { } count)
        {
            return count <= options.RequestsPerSecond;
        }
        var window = _windows.AddOrUpdate(secretId,
            _ => new Window(second, 1),
            (_, current) => current.Second == second ? current with { Count = current.Count + 1 } : new Window(second, 1));
        return window.Count <= options.RequestsPerSecond;
    }

    private sealed record Window(long Second, int Count);
}
