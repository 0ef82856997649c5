namespace OriginGateway.Storage;

/// <summary>
/// Remembers a store's last failed write (a full disk, an unreachable S3 endpoint) for 10 seconds: the
/// store reports itself not ready meanwhile, so load balancers steer writes elsewhere — and ready again
/// soon after the writes work again (a full disk keeps failing writes, so it stays unready).
/// </summary>
internal sealed class WriteFailureLatch(TimeProvider time)
{
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(10);

    private volatile Failure? _last;

    public void Record(IOException e) => _last = new Failure(time.GetUtcNow(), e.Message);

    /// <summary>Forgets a failure older than <paramref name="moment"/> (a store that proved itself since).</summary>
    public void ClearBefore(DateTimeOffset moment)
    {
        if (_last is { } failure && failure.At < moment)
        {
            _last = null;
        }
    }

    /// <summary>The problem to report for <paramref name="store"/>, or null when no write failed within the minute.</summary>
    public string? Problem(string store)
    {
        var now = time.GetUtcNow();
        return _last is { } failure && now - failure.At < Memory
            ? $"{store}: a write failed {(now - failure.At).TotalSeconds:F0} s ago ({failure.Message})"
            : null;
    }

    private sealed record Failure(DateTimeOffset At, string Message);
}
