namespace OriginGateway.Observability;

/// <summary>One origin-pull decision, as the admin page lists it.</summary>
internal sealed record OriginDecision(DateTimeOffset Time, string Bucket, string Key, int Rule, string Action, string OriginHost, int Status, long Bytes, double DurationMs, string RequestId);

/// <summary>The latest origin-pull decisions (a fixed ring, newest first when read), for the admin page.</summary>
internal sealed class RecentDecisions
{
    public const int Capacity = 200;

    private readonly OriginDecision?[] _ring = new OriginDecision?[Capacity];
    private readonly Lock _lock = new();
    private long _next;

    public void Add(OriginDecision decision)
    {
        lock (_lock)
        {
            _ring[_next % Capacity] = decision;
            _next++;
        }
    }

    /// <summary>Up to <paramref name="limit"/> decisions in the given buckets, newest first.</summary>
    public List<OriginDecision> Latest(int limit, Func<string, bool> bucketVisible)
    {
        var result = new List<OriginDecision>();
        lock (_lock)
        {
            for (var i = _next - 1; i >= 0 && i >= _next - Capacity && result.Count < limit; i--)
            {
                if (_ring[i % Capacity] is { } decision && bucketVisible(decision.Bucket))
                {
                    result.Add(decision);
                }
            }
        }
        return result;
    }
}
