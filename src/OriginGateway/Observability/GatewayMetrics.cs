using System.Collections.Concurrent;
using Prometheus;

namespace OriginGateway.Observability;

/// <summary>What the admin page reads of the gateway's counters (the same series <c>/metrics</c> exports).</summary>
internal sealed record MetricTotals(
    IReadOnlyDictionary<(string Bucket, string Action), double> Requests,
    double BytesFromOrigins,
    IReadOnlyDictionary<string, double> BytesStoredByBucket,
    double Failovers,
    long[] OriginLatencyCounts,
    double[] OriginLatencyBounds);

/// <summary>
/// Every metric the gateway records, in one place, as prometheus-net metrics in the gateway's registry
/// (served by prometheus-net.AspNetCore's <c>MapMetrics</c> on the control endpoint). Names, types and
/// labels are those of the README's table (label names in alphabetical order, as they always were). Label values are bounded: bucket names, actions, statuses,
/// hosts named in rules, reason codes — never keys.
/// </summary>
internal sealed class GatewayMetrics
{
    /// <summary>Buckets of the duration histograms (seconds).</summary>
    public static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly Counter _requests;
    private readonly Histogram _requestDuration;
    private readonly Counter _originRequests;
    private readonly Histogram _originFetchDuration;
    private readonly Counter _failovers;
    private readonly Counter _coalesced;
    private readonly Counter _fillClaims;
    private readonly Counter _resumes;
    private readonly Counter _bytesServed;
    private readonly Counter.Child _bytesServedFromStore;
    private readonly Counter _bytesStored;
    private readonly Counter _commitsRejected;
    private readonly Counter _egressDenials;
    private readonly Histogram _taskDuration;
    private readonly Counter _callbacks;
    private readonly Counter _syncPasses;
    private readonly Counter _dependencyFailures;
    private readonly Gauge _dependencyUp;
    private readonly Gauge _tasks;
    private readonly Gauge _hotCacheBytes;
    private readonly Gauge _hotCacheObjects;

    // The admin page's origin latency quantiles per minute need bucket counts, which prometheus-net keeps to itself.
    private readonly long[] _originLatencyCounts = new long[SecondsBuckets.Length + 1];

    public GatewayMetrics()
        : this(Metrics.NewCustomRegistry())
    {
    }

    public GatewayMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var factory = Metrics.WithCustomRegistry(registry);
        _requests = factory.CreateCounter("origin_gateway_requests_total", "Data requests by bucket, action (hit, mirror, proxy, redirect, miss, api) and status.", "action", "bucket", "status");
        _requestDuration = factory.CreateHistogram("origin_gateway_request_duration_seconds", "Data request duration by action.", ["action"], new HistogramConfiguration { Buckets = SecondsBuckets });
        _originRequests = factory.CreateCounter("origin_gateway_origin_requests_total", "Origin requests by host and outcome.", "host", "outcome");
        _originFetchDuration = factory.CreateHistogram("origin_gateway_origin_fetch_duration_seconds", "Time to an origin's response headers, by host.", ["host"], new HistogramConfiguration { Buckets = SecondsBuckets });
        _failovers = factory.CreateCounter("origin_gateway_origin_failovers_total", "Moves to a standby origin host, by the host that failed.", "host");
        _resumes = factory.CreateCounter("origin_gateway_origin_resumes_total", "Origin bodies that broke part-way and were asked for again from where they broke, by host and outcome (resumed, refused).", "host", "outcome");
        _coalesced = factory.CreateCounter("origin_gateway_fills_coalesced_total", "Requests that joined a fill already in flight.", "bucket");
        _fillClaims = factory.CreateCounter("origin_gateway_fill_claims_total", "Cross-replica fill claim attempts (Redis coordination), by outcome (taken, held, unanswered, local).", "outcome");
        _bytesServed = factory.CreateCounter("origin_gateway_served_bytes_total", "Body bytes sent to clients, by source (store, origin).", "source");
        _bytesServedFromStore = _bytesServed.WithLabels("store");
        _bytesStored = factory.CreateCounter("origin_gateway_stored_bytes_total", "Bytes committed to the object store by origin pulls, by bucket.", "bucket");
        _commitsRejected = factory.CreateCounter("origin_gateway_commits_rejected_total", "Pulled objects not stored, by reason.", "reason");
        _egressDenials = factory.CreateCounter("origin_gateway_egress_denials_total", "Outgoing connections refused by the egress guard.");
        _taskDuration = factory.CreateHistogram("origin_gateway_task_duration_seconds", "Task attempt duration by kind (fetch, store, callback) and outcome (succeeded, retry, failed, stopped).", ["kind", "outcome"], new HistogramConfiguration { Buckets = SecondsBuckets });
        _callbacks = factory.CreateCounter("origin_gateway_callbacks_total", "Callback delivery attempts by outcome (delivered, retry, failed).", "outcome");
        _syncPasses = factory.CreateCounter("origin_gateway_sync_passes_total", "Sync task passes (listings of a source) by outcome (completed, failed).", "outcome");
        _dependencyFailures = factory.CreateCounter("origin_gateway_dependency_failures_total", "Failed readiness probes by dependency.", "dependency");
        _dependencyUp = factory.CreateGauge("origin_gateway_dependency_up", "1 while a dependency's last readiness probe passed, 0 otherwise.", "dependency");
        _tasks = factory.CreateGauge("origin_gateway_tasks", "Tasks in the control database by kind and state.", "kind", "state");
        _hotCacheBytes = factory.CreateGauge("origin_gateway_hot_cache_bytes", "Bytes of small objects' bodies the hot-object cache keeps in memory (bounded by HotObjects:CacheSize).");
        _hotCacheObjects = factory.CreateGauge("origin_gateway_hot_cache_objects", "Bodies the hot-object cache keeps in memory.");

        // The series an alert counts the increase of are exported at 0 from the start (samples/prometheus/alerts.yml):
        // a counter whose series first appears at 1 shows Prometheus no increase, so the first event would go unseen.
        foreach (var outcome in (ReadOnlySpan<string>)["taken", "held", "unanswered", "local"])
        {
            _fillClaims.WithLabels(outcome);
        }
        foreach (var outcome in (ReadOnlySpan<string>)["delivered", "retry", "failed"])
        {
            _callbacks.WithLabels(outcome);
        }
        _syncPasses.WithLabels("completed");
        _syncPasses.WithLabels("failed");
        _commitsRejected.WithLabels("StoreFailed");
    }

    /// <summary>The registry <c>/metrics</c> serves (the gateway's own metrics and the framework meters).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Sets the gauge of tasks by kind and state from the queue before each scrape.</summary>
    public void ObserveTasks(Func<CancellationToken, Task<IEnumerable<(string Kind, string State, long Count)>>> observe) =>
        Registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            var seen = new HashSet<(string, string)>();
            foreach (var (kind, state, count) in await observe(cancellationToken).ConfigureAwait(false))
            {
                _tasks.WithLabels(kind, state).Set(count);
                seen.Add((kind, state));
            }
            // A kind and state no task is in any more reads 0, not its last count.
            foreach (var labels in _tasks.GetAllLabelValues())
            {
                if (!seen.Contains((labels[0], labels[1])))
                {
                    _tasks.WithLabels(labels).Set(0);
                }
            }
        });

    /// <summary>Sets the hot-object cache's gauges before each scrape: what it holds is memory the process keeps on purpose.</summary>
    public void ObserveHotCache(Func<(long Bytes, int Objects)> observe) =>
        Registry.AddBeforeCollectCallback(() =>
        {
            var (bytes, objects) = observe();
            _hotCacheBytes.Set(bytes);
            _hotCacheObjects.Set(objects);
        });

    public void TaskAttempt(string kind, string outcome, double seconds) => _taskDuration.WithLabels(kind, outcome).Observe(seconds);

    public void Callback(string outcome) => _callbacks.WithLabels(outcome).Inc();

    /// <summary>Counts a sync task's pass: a failed one could not list its source (its reason is the task's <c>last_error</c>).</summary>
    public void SyncPass(bool failed) => _syncPasses.WithLabels(failed ? "failed" : "completed").Inc();

    /// <summary>
    /// Counts a data request. The labelled children are looked up once per label set and kept: prometheus-net's
    /// <c>WithLabels</c> allocates and takes a reader lock on every call, which a profile of the hit path showed
    /// among its largest managed costs. The sets are bounded (bucket × action × status, action).
    /// </summary>
    public void Request(string bucket, string action, int status, double seconds)
    {
        var key = new RequestLabels(action, bucket, status);
        if (!_requestCounters.TryGetValue(key, out var counter))
        {
            counter = _requestCounters.GetOrAdd(key, k => _requests.WithLabels(k.Action, k.Bucket, StatusText(k.Status)));
        }
        counter.Inc();
        if (!_requestDurations.TryGetValue(action, out var duration))
        {
            duration = _requestDurations.GetOrAdd(action, a => _requestDuration.WithLabels(a));
        }
        duration.Observe(seconds);
    }

    private readonly record struct RequestLabels(string Action, string Bucket, int Status);

    private readonly ConcurrentDictionary<RequestLabels, Counter.Child> _requestCounters = new();
    private readonly ConcurrentDictionary<string, Histogram.Child> _requestDurations = new(StringComparer.Ordinal);

    public void OriginRequest(string host, string outcome, double seconds)
    {
        _originRequests.WithLabels(host, outcome).Inc();
        _originFetchDuration.WithLabels(host).Observe(seconds);
        var bucket = Array.BinarySearch(SecondsBuckets, seconds);
        Interlocked.Increment(ref _originLatencyCounts[bucket < 0 ? ~bucket : bucket]);
    }

    public void Failover(string host) => _failovers.WithLabels(host).Inc();

    public void BodyResumed(string host, string outcome) => _resumes.WithLabels(host, outcome).Inc();

    public void Coalesced(string bucket) => _coalesced.WithLabels(bucket).Inc();

    public void FillClaim(string outcome) => _fillClaims.WithLabels(outcome).Inc();

    public void BytesServed(string source, long bytes)
    {
        if (bytes > 0)
        {
            (source == "store" ? _bytesServedFromStore : _bytesServed.WithLabels(source)).Inc(bytes);
        }
    }

    public void BytesStored(string bucket, long bytes) => _bytesStored.WithLabels(bucket).Inc(bytes);

    public void CommitRejected(string reason) => _commitsRejected.WithLabels(reason).Inc();

    public void EgressDenied() => _egressDenials.Inc();

    public void DependencyFailed(string dependency) => _dependencyFailures.WithLabels(dependency).Inc();

    public void DependencyState(string dependency, bool up) => _dependencyUp.WithLabels(dependency).Set(up ? 1 : 0);

    /// <summary>The totals the admin page shows and plots.</summary>
    public MetricTotals Totals()
    {
        var requests = new Dictionary<(string, string), double>();
        foreach (var labels in _requests.GetAllLabelValues())
        {
            var key = (labels[1], labels[0]);
            requests[key] = requests.GetValueOrDefault(key) + _requests.WithLabels(labels).Value;
        }
        var stored = _bytesStored.GetAllLabelValues().ToDictionary(l => l[0], l => _bytesStored.WithLabels(l).Value, StringComparer.Ordinal);
        var failovers = _failovers.GetAllLabelValues().Sum(l => _failovers.WithLabels(l).Value);
        var latency = new long[_originLatencyCounts.Length];
        for (var i = 0; i < latency.Length; i++)
        {
            latency[i] = Interlocked.Read(ref _originLatencyCounts[i]);
        }
        return new MetricTotals(requests, _bytesServed.WithLabels("origin").Value, stored, failovers, latency, SecondsBuckets);
    }

    private static string StatusText(int status) => status switch
    {
        0 => "0",
        200 => "200",
        206 => "206",
        304 => "304",
        404 => "404",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
