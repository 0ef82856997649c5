using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using OriginGateway.Protocol;

namespace OriginGateway.OriginPull;

/// <summary>
/// The one log line per origin-pull decision (event 3201, category <see cref="OriginPullDispatcher"/>), written off the
/// request path through a <see cref="QueuedLog{TLine}"/>: a request queues its decision, the key is hashed and the line
/// formatted when the queue is drained.
/// </summary>
internal sealed partial class DecisionLog : IDisposable
{
    private readonly QueuedLog<OriginDecision> _queue;

    public DecisionLog(ILogger<OriginPullDispatcher> logger)
        : this(logger, QueuedLog<OriginDecision>.DefaultMaxPending)
    {
    }

    internal DecisionLog(ILogger logger, int maxPending) => _queue = new(logger, Log, LogDropped, maxPending);

    public bool IsEnabled(LogLevel level) => _queue.IsEnabled(level);

    /// <summary>Queues the decision's line; the caller has checked <see cref="IsEnabled"/>.</summary>
    public void Write(LogLevel level, OriginDecision decision) => _queue.Write(level, decision);

    public void Dispose() => _queue.Dispose();

    private static void Log(ILogger logger, LogLevel level, OriginDecision d)
    {
        // The queue logs a line only while its level is enabled.
        var keyHash = KeyHash.Of(d.Key);
        var originHost = d.OriginHost.Length > 0 ? d.OriginHost : "-";
        LogDecision(logger, level, d.Bucket, keyHash, d.Rule, d.Action, originHost, d.Status, d.Bytes, d.DurationMs, d.RequestId);
    }

    [LoggerMessage(EventId = LogEvents.OriginPullDecision,
        Message = "Origin pull: bucket {Bucket} key#{KeyHash} rule {Rule} action {Action} origin {OriginHost} status {Status} bytes {Bytes} in {DurationMs:F1} ms request {RequestId}")]
    private static partial void LogDecision(ILogger logger, LogLevel level, string bucket, string keyHash, int rule, string action, string originHost, int status, long bytes, double durationMs, string requestId);

    [LoggerMessage(EventId = LogEvents.OriginPullDecisionsDropped, Level = LogLevel.Warning,
        Message = "{Dropped} origin-pull decision lines were not logged: the log output could not keep up ({MaxPending} were waiting)")]
    private static partial void LogDropped(ILogger logger, long dropped, int maxPending);
}
