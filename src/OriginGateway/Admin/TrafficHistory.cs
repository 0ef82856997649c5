using Microsoft.Extensions.Hosting;
using OriginGateway.Observability;

namespace OriginGateway.Admin;

/// <summary>One minute of the admin page's plots (the last one runs up to now).</summary>
internal sealed record TrafficMinute(
    DateTimeOffset Start,
    DateTimeOffset End,
    IReadOnlyDictionary<string, double> Requests,
    long OriginRequests,
    double? OriginLatencyP50Ms,
    double? OriginLatencyP99Ms,
    double BytesFromOrigins);

/// <summary>
/// The last hour of traffic for the admin page's plots, in the gateway's memory: once a minute the
/// totals of the same series <c>/metrics</c> shows (data requests by bucket and action, the origin
/// fetch-duration histogram, bytes served from origins) are marked; a minute is the difference of
/// two marks, and the running minute the difference between the last mark and now. 61 marks, a few
/// kilobytes; nothing survives a restart, as with the counters themselves.
/// </summary>
internal sealed class TrafficHistory(GatewayMetrics metrics, TimeProvider time) : BackgroundService
{
    public const int Minutes = 60;

    /// <summary>The actions plotted; the order of the legend.</summary>
    public static readonly string[] Actions = ["hit", "mirror", "proxy", "redirect", "miss"];

    private readonly Lock _lock = new();
    private readonly LinkedList<Snapshot> _marks = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Mark();
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Mark();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Takes a mark now (the timer does it once a minute).</summary>
    internal void Mark()
    {
        var totals = Read();
        lock (_lock)
        {
            _marks.AddLast(totals);
            while (_marks.Count > Minutes + 1)
            {
                _marks.RemoveFirst();
            }
        }
    }

    /// <summary>The minutes since the first mark (at most the last hour), oldest first; requests of buckets <paramref name="bucketVisible"/> lets through.</summary>
    public IReadOnlyList<TrafficMinute> Recent(Func<string, bool> bucketVisible)
    {
        List<Snapshot> marks;
        lock (_lock)
        {
            marks = [.. _marks];
        }
        marks.Add(Read());
        var minutes = new List<TrafficMinute>(marks.Count);
        for (var i = 1; i < marks.Count; i++)
        {
            minutes.Add(Between(marks[i - 1], marks[i], bucketVisible));
        }
        // The first mark may be less than a minute before now: at least the running minute shows.
        return minutes.Count > Minutes ? minutes[^Minutes..] : minutes;
    }

    private static TrafficMinute Between(Snapshot from, Snapshot to, Func<string, bool> bucketVisible)
    {
        var requests = Actions.ToDictionary(a => a, _ => 0.0, StringComparer.Ordinal);
        foreach (var ((bucket, action), count) in to.Totals.Requests)
        {
            if (requests.ContainsKey(action) && bucketVisible(bucket))
            {
                requests[action] += count - from.Totals.Requests.GetValueOrDefault((bucket, action));
            }
        }
        var counts = new long[to.Totals.OriginLatencyCounts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = to.Totals.OriginLatencyCounts[i] - (i < from.Totals.OriginLatencyCounts.Length ? from.Totals.OriginLatencyCounts[i] : 0);
        }
        var total = counts.Sum();
        return new TrafficMinute(from.At, to.At, requests, total,
            Quantile(counts, to.Totals.OriginLatencyBounds, total, 0.50), Quantile(counts, to.Totals.OriginLatencyBounds, total, 0.99), to.Totals.BytesFromOrigins - from.Totals.BytesFromOrigins);
    }

    /// <summary>A quantile in milliseconds from per-bucket counts (linear within the bucket, as Prometheus' histogram_quantile); null without samples.</summary>
    internal static double? Quantile(long[] counts, double[] bounds, long total, double q)
    {
        if (total <= 0)
        {
            return null;
        }
        var rank = q * total;
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0 && seen + counts[i] >= rank)
            {
                var lower = i == 0 ? 0 : bounds[i - 1];
                // Above the last bound there is no upper edge: the last bound is the best statement.
                var upper = i < bounds.Length ? bounds[i] : bounds[^1];
                var seconds = lower + ((upper - lower) * ((rank - seen) / counts[i]));
                return Math.Round(seconds * 1000, 2);
            }
            seen += counts[i];
        }
        return Math.Round(bounds[^1] * 1000, 2);
    }

    private Snapshot Read() => new(time.GetUtcNow(), metrics.Totals());

    /// <summary>The metrics' totals at a moment.</summary>
    private sealed record Snapshot(DateTimeOffset At, MetricTotals Totals);
}
