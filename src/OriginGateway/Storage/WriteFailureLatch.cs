namespace OriginGateway.Storage;

/// <summary>
/// Remembers a store's last failed write (a full disk, an unreachable S3 endpoint) for a minute: the
/// store reports itself not ready meanwhile, so load balancers steer writes elsewhere.
/// </summary>
internal sealed class WriteFailureLatch(TimeProvider time)
{
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(60);

    private volatile Failure? _last;

    public void Record(IOException e) => _last = new Failure(time.GetUtcNow(), e.Message);

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
