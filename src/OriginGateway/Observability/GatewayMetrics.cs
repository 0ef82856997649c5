using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OriginGateway.Observability;

/// <summary>
/// Every instrument the gateway records, in one place (names of <c>04-operations.md</c> §4.4; the
/// Prometheus exporter renders <c>origin_gateway.requests</c> as <c>origin_gateway_requests_total</c>; see <see cref="PrometheusText"/>).
/// Tag values are bounded: bucket names, actions, statuses, hosts named in rules, reason codes —
/// never keys. Each method checks <c>Enabled</c> before building tags.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "OriginGateway";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<long> _originRequests;
    private readonly Histogram<double> _originFetchDuration;
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _coalesced;
    private readonly Counter<long> _bytesServed;
    private readonly Counter<long> _bytesStored;
    private readonly Counter<long> _commitsRejected;
    private readonly Counter<long> _egressDenials;
    private readonly Histogram<double> _taskDuration;
    private readonly Counter<long> _callbacks;
    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("origin_gateway.requests", "{request}", "Data requests by bucket, action (hit, mirror, proxy, redirect, miss) and status.");
        _requestDuration = meter.CreateHistogram<double>("origin_gateway.request.duration", "s", "Data request duration by action.");
        _originRequests = meter.CreateCounter<long>("origin_gateway.origin.requests", "{request}", "Origin requests by host and outcome.");
        _originFetchDuration = meter.CreateHistogram<double>("origin_gateway.origin.fetch.duration", "s", "Time to an origin's response headers, by host.");
        _failovers = meter.CreateCounter<long>("origin_gateway.origin.failovers", "{failover}", "Moves to a standby origin host, by the host that failed.");
        _coalesced = meter.CreateCounter<long>("origin_gateway.fills.coalesced", "{request}", "Requests that joined a fill already in flight.");
        _bytesServed = meter.CreateCounter<long>("origin_gateway.served.bytes", "By", "Body bytes sent to clients, by source (store, origin).");
        _bytesStored = meter.CreateCounter<long>("origin_gateway.stored.bytes", "By", "Bytes committed to the object store by origin pulls, by bucket.");
        _commitsRejected = meter.CreateCounter<long>("origin_gateway.commits.rejected", "{commit}", "Pulled objects not stored, by reason.");
        _egressDenials = meter.CreateCounter<long>("origin_gateway.egress.denials", "{connection}", "Outgoing connections refused by the egress guard.");
        _taskDuration = meter.CreateHistogram<double>("origin_gateway.task.duration", "s", "Task attempt duration by kind (fetch, store, callback) and outcome (succeeded, retry, failed, stopped).");
        _callbacks = meter.CreateCounter<long>("origin_gateway.callbacks", "{delivery}", "Callback delivery attempts by outcome (delivered, retry, failed).");
    }

    /// <summary>Registers the gauge of tasks by kind and state; read from the queue at each collection.</summary>
    public void ObserveTasks(Func<IEnumerable<Measurement<long>>> observe) =>
        _meter.CreateObservableGauge("origin_gateway.tasks", observe, "{task}", "Tasks in the control database by kind and state.");

    public void TaskAttempt(string kind, string outcome, double seconds)
    {
        if (_taskDuration.Enabled)
        {
            _taskDuration.Record(seconds, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Callback(string outcome)
    {
        if (_callbacks.Enabled)
        {
            _callbacks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public bool RequestsEnabled => _requests.Enabled || _requestDuration.Enabled || _bytesServed.Enabled;

    public void Request(string bucket, string action, int status, double seconds)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new TagList { { "bucket", bucket }, { "action", action }, { "status", StatusText(status) } });
        }
        if (_requestDuration.Enabled)
        {
            _requestDuration.Record(seconds, new KeyValuePair<string, object?>("action", action));
        }
    }

    public void OriginRequest(string host, string outcome, double seconds)
    {
        if (_originRequests.Enabled)
        {
            _originRequests.Add(1, new KeyValuePair<string, object?>("host", host), new KeyValuePair<string, object?>("outcome", outcome));
        }
        if (_originFetchDuration.Enabled)
        {
            _originFetchDuration.Record(seconds, new KeyValuePair<string, object?>("host", host));
        }
    }

    public void Failover(string host)
    {
        if (_failovers.Enabled)
        {
            _failovers.Add(1, new KeyValuePair<string, object?>("host", host));
        }
    }

    public void Coalesced(string bucket)
    {
        if (_coalesced.Enabled)
        {
            _coalesced.Add(1, new KeyValuePair<string, object?>("bucket", bucket));
        }
    }

    public void BytesServed(string source, long bytes)
    {
        if (_bytesServed.Enabled && bytes > 0)
        {
            _bytesServed.Add(bytes, new KeyValuePair<string, object?>("source", source));
        }
    }

    public void BytesStored(string bucket, long bytes)
    {
        if (_bytesStored.Enabled)
        {
            _bytesStored.Add(bytes, new KeyValuePair<string, object?>("bucket", bucket));
        }
    }

    public void CommitRejected(string reason)
    {
        if (_commitsRejected.Enabled)
        {
            _commitsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void EgressDenied()
    {
        if (_egressDenials.Enabled)
        {
            _egressDenials.Add(1);
        }
    }

    private static string StatusText(int status) => status switch
    {
        200 => "200",
        206 => "206",
        304 => "304",
        404 => "404",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
