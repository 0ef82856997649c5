using System.Diagnostics.Metrics;
using OriginGateway.Observability;

namespace OriginGateway.Tests.Observability;

public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("origin_gateway.requests", "{request}", "Counter", "origin_gateway_requests_total")]
    [InlineData("origin_gateway.request.duration", "s", "Histogram", "origin_gateway_request_duration_seconds")]
    [InlineData("origin_gateway.served.bytes", "By", "Counter", "origin_gateway_served_bytes_total")]
    [InlineData("origin_gateway.tasks", "{task}", "Gauge", "origin_gateway_tasks")]
    [InlineData("kestrel.active_connections", "{connection}", "Gauge", "kestrel_active_connections")]
    [InlineData("dotnet.process.cpu.time", "s", "Counter", "dotnet_process_cpu_time_seconds_total")]
    public void MetricName_FollowsTheUsualMapping(string instrument, string unit, string kind, string expected) =>
        Assert.Equal(expected, PrometheusText.MetricName(instrument, unit, Enum.Parse<MetricsCollector.MetricKind>(kind)));

    [Fact]
    public void Collector_OneSeriesPerLabelSet_InAnyTagOrder_HistogramsCumulative_AndUnboundedTagsDropped()
    {
        using var collector = new MetricsCollector();
        using var meter = new Meter(GatewayMetrics.MeterName);
        var counter = meter.CreateCounter<long>("origin_gateway.test.things", "{thing}", "Things \"counted\"\nin tests.");
        var histogram = meter.CreateHistogram<double>("origin_gateway.test.duration", "s", "Durations.");
        counter.Add(2, new("a", "x"), new("b", 1));
        counter.Add(3, new("b", 1), new("a", "x"));
        counter.Add(1, new("a", "y\"q"), new("b", 1), new("server.address", "unbounded.example"));
        histogram.Record(0.002);
        histogram.Record(0.2);
        histogram.Record(100);

        var text = PrometheusText.Render(collector.Collect().Where(i => i.Name.StartsWith("origin_gateway.test.", StringComparison.Ordinal)));

        Assert.Contains("# HELP origin_gateway_test_things_total Things \"counted\"\\nin tests.\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE origin_gateway_test_things_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_things_total{a=\"x\",b=\"1\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_things_total{a=\"y\\\"q\",b=\"1\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("unbounded", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_bucket{le=\"0.001\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_bucket{le=\"0.0025\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_bucket{le=\"0.25\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_bucket{le=\"60\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_bucket{le=\"300\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_bucket{le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_count 3\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_test_duration_seconds_sum 100.20", text, StringComparison.Ordinal);
    }
}
