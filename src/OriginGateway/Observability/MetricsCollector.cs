using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace OriginGateway.Observability;

/// <summary>
/// Listens to the gateway's own meter and the framework's (ASP.NET Core hosting, Kestrel, HttpClient,
/// the runtime) and keeps one running series per instrument and label set, for <c>/metrics</c>.
/// Recording is a lock, a hash over the tags and an add: no allocation once a series exists. Labels a
/// framework meter would fill from request data without bound (<c>server.address</c> of outgoing
/// requests: fetch-task hosts) are dropped.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    /// <summary>Meters exported besides the gateway's own unless <c>Metrics:FrameworkMeters</c> names others.</summary>
    public static readonly string[] DefaultFrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Net.Http",
        "System.Runtime",
    ];

    /// <summary>Tags never exported: their values come from request data and are not bounded.</summary>
    private static readonly HashSet<string> DroppedTags = new(StringComparer.Ordinal) { "server.address", "server.port", "url.full", "url.path", "client.address", "network.peer.address", "network.peer.port" };

    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
    private static readonly double[] BytesBuckets = [1024, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824];
    private static readonly double[] DefaultBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly MeterListener _listener = new();
    private readonly Lock _instrumentsLock = new();
    private readonly List<InstrumentState> _instruments = [];

    public MetricsCollector(MetricsOptions? options = null)
    {
        var framework = options?.FrameworkMeters ?? DefaultFrameworkMeters.ToList();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName || framework.Contains(instrument.Meter.Name))
            {
                var state = new InstrumentState(instrument);
                lock (_instrumentsLock)
                {
                    _instruments.Add(state);
                }
                listener.EnableMeasurementEvents(instrument, state);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) =>
        {
            lock (_instrumentsLock)
            {
                _instruments.Remove((InstrumentState)state!);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (instrument, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Takes the observable instruments' current values and returns every instrument's series.</summary>
    public List<InstrumentSnapshot> Collect()
    {
        List<InstrumentState> instruments;
        lock (_instrumentsLock)
        {
            instruments = [.. _instruments];
        }
        foreach (var instrument in instruments)
        {
            if (instrument.IsObservable)
            {
                instrument.Clear();
            }
        }
        _listener.RecordObservableInstruments();
        // The gateway's own instruments are listed even before their first measurement (HELP and TYPE only),
        // so dashboards and alerts see every family from the start.
        return instruments.Select(i => i.Snapshot()).Where(s => s.Series.Count > 0 || s.Meter == GatewayMetrics.MeterName).ToList();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>What an instrument is, as Prometheus sees it.</summary>
    internal enum MetricKind
    {
        Counter,
        Gauge,
        Histogram,
    }

    internal sealed record InstrumentSnapshot(string Meter, string Name, string? Unit, string? Description, MetricKind Kind, double[] Bounds, List<SeriesSnapshot> Series);

    internal sealed record SeriesSnapshot(KeyValuePair<string, string>[] Labels, double Value, long[] BucketCounts, long Count);

    /// <summary>One instrument's series, keyed by their label sets.</summary>
    private sealed class InstrumentState
    {
        private readonly Instrument _instrument;
        private readonly MetricKind _kind;
        private readonly bool _accumulates;
        private readonly double[] _bounds;
        private readonly Lock _lock = new();
        private readonly Dictionary<int, List<Series>> _series = [];

        public InstrumentState(Instrument instrument)
        {
            _instrument = instrument;
            var type = instrument.GetType();
            var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
            (_kind, _accumulates, IsObservable) = generic switch
            {
                _ when generic == typeof(Counter<>) => (MetricKind.Counter, true, false),
                _ when generic == typeof(UpDownCounter<>) => (MetricKind.Gauge, true, false),
                _ when generic == typeof(Histogram<>) => (MetricKind.Histogram, true, false),
                _ when generic == typeof(ObservableCounter<>) => (MetricKind.Counter, false, true),
                _ when generic == typeof(ObservableUpDownCounter<>) => (MetricKind.Gauge, false, true),
                _ when generic == typeof(ObservableGauge<>) => (MetricKind.Gauge, false, true),
                _ => (MetricKind.Gauge, false, false),
            };
            _bounds = _kind != MetricKind.Histogram ? []
                : AdvisedBounds(instrument) ?? instrument.Unit switch
                {
                    "s" => SecondsBuckets,
                    "By" => BytesBuckets,
                    _ => DefaultBuckets,
                };
        }

        public bool IsObservable { get; }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var hash = 0;
            foreach (var tag in tags)
            {
                if (!DroppedTags.Contains(tag.Key))
                {
                    // Order-independent, so the same labels in another order are one series.
                    hash += HashCode.Combine(tag.Key, tag.Value);
                }
            }
            lock (_lock)
            {
                var series = FindOrAdd(hash, tags);
                if (_kind == MetricKind.Histogram)
                {
                    series.Value += value;
                    series.Count++;
                    var bucket = Array.BinarySearch(_bounds, value);
                    series.Buckets[bucket < 0 ? ~bucket : bucket]++;
                }
                else if (_accumulates)
                {
                    series.Value += value;
                }
                else
                {
                    series.Value = value;
                }
            }
        }

        public void Clear()
        {
            lock (_lock)
            {
                _series.Clear();
            }
        }

        public InstrumentSnapshot Snapshot()
        {
            var series = new List<SeriesSnapshot>();
            lock (_lock)
            {
                foreach (var bucket in _series.Values)
                {
                    foreach (var s in bucket)
                    {
                        series.Add(new SeriesSnapshot(s.Labels, s.Value, [.. s.Buckets], s.Count));
                    }
                }
            }
            return new InstrumentSnapshot(_instrument.Meter.Name, _instrument.Name, _instrument.Unit, _instrument.Description, _kind, _bounds, series);
        }

        private Series FindOrAdd(int hash, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_series, hash, out _);
            list ??= [];
            foreach (var candidate in list)
            {
                if (candidate.Matches(tags))
                {
                    return candidate;
                }
            }
            var labels = new List<KeyValuePair<string, string>>(tags.Length);
            var values = new List<object?>(tags.Length);
            foreach (var tag in tags)
            {
                if (!DroppedTags.Contains(tag.Key))
                {
                    labels.Add(new(tag.Key, Format(tag.Value)));
                    values.Add(tag.Value);
                }
            }
            var created = new Series([.. labels.OrderBy(l => l.Key, StringComparer.Ordinal)], [.. labels.Select(l => l.Key)], [.. values], _kind == MetricKind.Histogram ? _bounds.Length + 1 : 0);
            list.Add(created);
            return created;
        }

        private static double[]? AdvisedBounds(Instrument instrument) => instrument switch
        {
            Histogram<double> h when h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b => [.. b],
            Histogram<long> h when h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b => [.. b.Select(v => (double)v)],
            Histogram<int> h when h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b => [.. b.Select(v => (double)v)],
            _ => null,
        };

        private static string Format(object? value) => value switch
        {
            null => "",
            string s => s,
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    /// <summary>One label set's running value (guarded by its instrument's lock).</summary>
    private sealed class Series(KeyValuePair<string, string>[] labels, string[] keys, object?[] values, int buckets)
    {
        public KeyValuePair<string, string>[] Labels { get; } = labels;

        public double Value { get; set; }

        public long Count { get; set; }

        public long[] Buckets { get; } = new long[buckets];

        /// <summary>Same kept tags, in any order (tag lists are a handful long).</summary>
        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var seen = 0;
            foreach (var tag in tags)
            {
                if (DroppedTags.Contains(tag.Key))
                {
                    continue;
                }
                var at = Array.IndexOf(keys, tag.Key);
                if (at < 0 || !Equals(values[at], tag.Value))
                {
                    return false;
                }
                seen++;
            }
            return seen == keys.Length;
        }
    }
}
