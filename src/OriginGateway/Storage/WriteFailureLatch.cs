namespace OriginGateway.Storage;

/// <summary>
/// Remembers a store's last failed write (a full disk, an S3 store that is full, over its quota or unreachable) for
/// 10 seconds, or until a later write commits: the store reports itself not ready meanwhile, so load balancers steer
/// writes elsewhere — and ready again soon after the writes work again (a full store keeps failing writes, so it stays
/// unready).
/// </summary>
internal sealed class WriteFailureLatch(TimeProvider time)
{
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(10);

    private volatile Failure? _last;

    public void Record(IOException e) => _last = new Failure(time.GetUtcNow(), e.Message, NotReached(e));

    /// <summary>A write committed: every failure before it is forgotten (with none, one field is read: every commit calls it).</summary>
    public void Succeeded()
    {
        if (_last is not null)
        {
            ClearBefore(time.GetUtcNow(), onlyNotReached: false);
        }
    }

    /// <summary>
    /// The store answered a read at <paramref name="moment"/>: a failure before it to reach the store at all (a refused or
    /// cut connection) is forgotten. A write the store answered with an error (full, over its quota, refused) or did not
    /// finish in time stands: the store can answer reads and still take no write.
    /// </summary>
    public void ReachedAt(DateTimeOffset moment) => ClearBefore(moment, onlyNotReached: true);

    private void ClearBefore(DateTimeOffset moment, bool onlyNotReached)
    {
        if (_last is { } failure && failure.At < moment && (failure.NotReached || !onlyNotReached))
        {
            _last = null;
        }
    }

    private static bool NotReached(Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause.InnerException)
        {
            if (cause is HttpRequestException or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The problem to report for <paramref name="store"/>, or null when no write failed within the minute.</summary>
    public string? Problem(string store)
    {
        var now = time.GetUtcNow();
        return _last is { } failure && now - failure.At < Memory
            ? $"{store}: a write failed {(now - failure.At).TotalSeconds:F0} s ago ({failure.Message})"
            : null;
    }

    private sealed record Failure(DateTimeOffset At, string Message, bool NotReached);
}
