using OriginGateway.Admin;
using OriginGateway.Observability;

namespace OriginGateway.Tests.Admin;

public sealed class TrafficHistoryTests
{
    private readonly GatewayMetrics _metrics = new();

    [Fact]
    public void Minutes_AreTheDifferencesBetweenMarks_TheLastRunsUpToNow_AndOnlyTheVisibleBucketsCount()
    {
        var bucket = "history-1250000000";
        var metrics = _metrics;
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var history = new TrafficHistory(metrics, time);
        bool Visible(string name) => name == bucket;

        history.Mark();
        metrics.Request(bucket, "hit", 200, 0.001);
        metrics.Request(bucket, "hit", 200, 0.001);
        metrics.Request(bucket, "mirror", 200, 0.05);
        metrics.Request("another-bucket", "hit", 200, 0.001);
        time.Advance(TimeSpan.FromMinutes(1));
        history.Mark();
        metrics.Request(bucket, "redirect", 302, 0.001);
        time.Advance(TimeSpan.FromSeconds(20));

        var minutes = history.Recent(Visible);

        Assert.Equal(2, minutes.Count);
        Assert.Equal(time.Now.AddSeconds(-80), minutes[0].Start);
        Assert.Equal(time.Now.AddSeconds(-20), minutes[0].End);
        Assert.Equal(2, minutes[0].Requests["hit"]);
        Assert.Equal(1, minutes[0].Requests["mirror"]);
        Assert.Equal(0, minutes[0].Requests["redirect"]);
        Assert.Equal(1, minutes[1].Requests["redirect"]);
        Assert.Equal(0, minutes[1].Requests["hit"]);
        Assert.Equal(time.Now, minutes[1].End);
        Assert.Equal(TrafficHistory.Actions, minutes[0].Requests.Keys);
    }

    [Fact]
    public void Marks_KeepTheLastHourOnly()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var history = new TrafficHistory(_metrics, time);
        for (var i = 0; i < 90; i++)
        {
            history.Mark();
            time.Advance(TimeSpan.FromMinutes(1));
        }

        var minutes = history.Recent(_ => true);

        Assert.Equal(TrafficHistory.Minutes, minutes.Count);
        Assert.Equal(time.Now, minutes[^1].End);
        Assert.Equal(time.Now.AddMinutes(-60), minutes[0].Start);
    }

    [Theory]
    [InlineData(new long[] { 0, 10, 0 }, 0.5, 15.0)]     // all in (10 ms, 20 ms]: the middle of it
    [InlineData(new long[] { 10, 0, 0 }, 0.99, 9.9)]     // all in (0, 10 ms]
    [InlineData(new long[] { 0, 0, 4 }, 0.5, 20.0)]      // above the last bound: the last bound
    [InlineData(new long[] { 50, 49, 1 }, 0.99, 20.0)]   // the 99th of 100 is the last of the second bucket
    public void Quantile_InterpolatesWithinItsBucket(long[] counts, double q, double expectedMs)
    {
        double[] bounds = [0.010, 0.020];
        Assert.Equal(expectedMs, TrafficHistory.Quantile(counts, bounds, counts.Sum(), q));
    }

    [Fact]
    public void Quantile_WithoutSamples_IsNull() =>
        Assert.Null(TrafficHistory.Quantile([0, 0, 0], [0.010, 0.020], 0, 0.5));
}
