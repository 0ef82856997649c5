using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Observability;

namespace OriginGateway.Tests.Observability;

public sealed class GatewayMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, long Value, Dictionary<string, object?> Tags)> _measurements = [];

    public GatewayMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            _measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            _measurements.Add((instrument.Name, (long)(value * 1000), tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void EveryDecision_IsRecordedWithBoundedTags()
    {
        var metrics = new GatewayMetrics(_services.GetRequiredService<IMeterFactory>());
        Assert.True(metrics.RequestsEnabled);

        metrics.Request("bucket-1", "mirror", 200, 0.25);
        metrics.OriginRequest("origin:80", "ok", 0.1);
        metrics.Failover("origin:80");
        metrics.Coalesced("bucket-1");
        metrics.BytesServed("store", 1024);
        metrics.BytesStored("bucket-1", 2048);
        metrics.CommitRejected("Truncated");
        metrics.EgressDenied();

        Assert.Contains(_measurements, m => m.Name == "origin_gateway.requests" && (string?)m.Tags["action"] == "mirror" && (string?)m.Tags["status"] == "200" && (string?)m.Tags["bucket"] == "bucket-1");
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.request.duration" && m.Value == 250);
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.origin.requests" && (string?)m.Tags["outcome"] == "ok" && (string?)m.Tags["host"] == "origin:80");
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.origin.fetch.duration");
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.origin.failovers");
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.fills.coalesced");
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.served.bytes" && m.Value == 1024 && (string?)m.Tags["source"] == "store");
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.stored.bytes" && m.Value == 2048);
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.commits.rejected" && (string?)m.Tags["reason"] == "Truncated");
        Assert.Contains(_measurements, m => m.Name == "origin_gateway.egress.denials");
        Assert.DoesNotContain(_measurements, m => m.Tags.ContainsKey("key"));
    }
}
