using Prometheus;

namespace OriginGateway.Observability;

/// <summary>
/// The framework's own meters (ASP.NET Core hosting, Kestrel, HttpClient, the runtime) published into
/// the gateway's registry through prometheus-net's meter adapter. Only the meters listed in
/// <c>Metrics:FrameworkMeters</c> are listened to; the gateway's own metrics are prometheus-net
/// metrics already and never pass through the adapter.
/// </summary>
internal sealed class FrameworkMetrics : IDisposable
{
    /// <summary>
    /// Kestrel's (per connection) and the runtime's meters. Bounded labels only: <c>System.Net.Http</c> is not
    /// among them, its instruments label every series with the server address and port of the URL fetched
    /// (fetch tasks name any host), and the adapter cannot drop a label. Nor is <c>Microsoft.AspNetCore.Hosting</c>:
    /// its request duration repeats <c>origin_gateway_request_duration_seconds</c>, and listening to it puts three
    /// measurements through the adapter on every request (a profile of the hit path showed them costing more than
    /// the gateway's own metrics); ASP.NET Core records nothing for a meter nobody listens to.
    /// </summary>
    public static readonly string[] DefaultMeters =
        ["Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    private readonly IDisposable _adapter;

    public FrameworkMetrics(GatewayMetrics metrics, MetricsOptions options)
    {
        var meters = new HashSet<string>(options.FrameworkMeters ?? [.. DefaultMeters], StringComparer.Ordinal);
        // prometheus-net's process and runtime families (process_cpu_seconds_total, dotnet_collection_count_total, …).
        DotNetStats.Register(metrics.Registry);
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            // The registry too, not only the factory: the adapter polls observable instruments (the runtime's GC,
            // heap and thread-pool gauges) before its registry is collected — with only a factory that was the
            // default registry, which /metrics never collects, and those series never appeared.
            Registry = metrics.Registry,
            MetricFactory = Metrics.WithCustomRegistry(metrics.Registry),
            InstrumentFilterPredicate = instrument => meters.Contains(instrument.Meter.Name),
            ResolveHistogramBuckets = _ => GatewayMetrics.SecondsBuckets,
        });
    }

    public void Dispose() => _adapter.Dispose();
}
