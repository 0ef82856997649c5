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
    /// Bounded labels only: <c>System.Net.Http</c> is not among them, its instruments label every series with
    /// the server address and port of the URL fetched (fetch tasks name any host), and the adapter cannot drop a label.
    /// </summary>
    public static readonly string[] DefaultMeters =
        ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    private readonly IDisposable _adapter;

    public FrameworkMetrics(GatewayMetrics metrics, MetricsOptions options)
    {
        var meters = new HashSet<string>(options.FrameworkMeters ?? [.. DefaultMeters], StringComparer.Ordinal);
        // prometheus-net's process and runtime families (process_cpu_seconds_total, dotnet_collection_count_total, …).
        DotNetStats.Register(metrics.Registry);
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            MetricFactory = Metrics.WithCustomRegistry(metrics.Registry),
            InstrumentFilterPredicate = instrument => meters.Contains(instrument.Meter.Name),
            ResolveHistogramBuckets = _ => GatewayMetrics.SecondsBuckets,
        });
    }

    public void Dispose() => _adapter.Dispose();
}
