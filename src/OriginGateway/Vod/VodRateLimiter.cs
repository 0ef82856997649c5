using System.Collections.Concurrent;

namespace OriginGateway.Vod;

/// <summary>At most <see cref="VodOptions.RequestsPerSecond"/> API requests per SecretId in each second of the clock.</summary>
internal sealed class VodRateLimiter(VodOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public bool TryAcquire(string secretId)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var window = _windows.AddOrUpdate(secretId,
            _ => new Window(second, 1),
            (_, current) => current.Second == second ? current with { Count = current.Count + 1 } : new Window(second, 1));
        return window.Count <= options.RequestsPerSecond;
    }

    private sealed record Window(long Second, int Count);
}
