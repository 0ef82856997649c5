using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using OriginGateway.Protocol;

namespace OriginGateway.OriginPull;

/// <summary>
/// The one log line per origin-pull decision (event 3201, category <see cref="OriginPullDispatcher"/>), written off the
/// request path: a request only queues its decision; a timer hands what queued in the last
/// <see cref="Delay"/> to the logger in one go. Logged from the request, every line woke the console logger's
/// writer thread — a futex call and a context switch per proxied request, the largest single item of what a proxied
/// request cost over YARP's own (bench/README.md). Lines keep their order; one queued while the logger cannot
/// keep up is dropped once <see cref="MaxPending"/> wait, counted, and reported in a warning — a request never waits
/// for the log.
/// </summary>
internal sealed partial class DecisionLog : IDisposable
{
    public const int DefaultMaxPending = 65_536;
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentQueue<Line> _pending = new();
    private readonly ILogger _logger;
    private readonly Timer _timer;
    private readonly Lock _drain = new();
    private int _count;
    private int _scheduled;
    private long _dropped;

    public DecisionLog(ILogger<OriginPullDispatcher> logger)
        : this(logger, DefaultMaxPending)
    {
    }

    internal DecisionLog(ILogger logger, int maxPending)
    {
        _logger = logger;
        MaxPending = maxPending;
        _timer = new Timer(static state => ((DecisionLog)state!).Drain(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public int MaxPending { get; }

    public bool IsEnabled(LogLevel level) => _logger.IsEnabled(level);

    /// <summary>Queues the decision's line; the caller has checked <see cref="IsEnabled"/>.</summary>
    public void Write(LogLevel level, OriginDecision decision)
    {
        if (Interlocked.Increment(ref _count) > MaxPending)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _pending.Enqueue(new Line(level, decision));
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            // A disposed timer (a request finishing during shutdown) is not started again: the line is written at once.
            if (!_timer.Change(Delay, Timeout.InfiniteTimeSpan))
            {
                Drain();
            }
        }
    }

    /// <summary>Everything queued so far goes to the logger (the timer's work; at shutdown, the rest).</summary>
    public void Drain()
    {
        // One drainer at a time keeps the lines in order; a drain scheduled meanwhile waits and finds what is left.
        lock (_drain)
        {
            Volatile.Write(ref _scheduled, 0);
            while (_pending.TryDequeue(out var line))
            {
                Interlocked.Decrement(ref _count);
                var (level, d) = line;
                // A level raised since the line was queued (configuration reloaded) drops it.
                if (_logger.IsEnabled(level))
                {
                    var keyHash = KeyHash.Of(d.Key);
                    var originHost = d.OriginHost.Length > 0 ? d.OriginHost : "-";
                    LogDecision(_logger, level, d.Bucket, keyHash, d.Rule, d.Action, originHost, d.Status, d.Bytes, d.DurationMs, d.RequestId);
                }
            }
            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
            {
                LogDropped(_logger, dropped, MaxPending);
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Drain();
    }

    private readonly record struct Line(LogLevel Level, OriginDecision Decision);

    [LoggerMessage(EventId = LogEvents.OriginPullDecision,
        Message = "Origin pull: bucket {Bucket} key#{KeyHash} rule {Rule} action {Action} origin {OriginHost} status {Status} bytes {Bytes} in {DurationMs:F1} ms request {RequestId}")]
    private static partial void LogDecision(ILogger logger, LogLevel level, string bucket, string keyHash, int rule, string action, string originHost, int status, long bytes, double durationMs, string requestId);

    [LoggerMessage(EventId = LogEvents.OriginPullDecisionsDropped, Level = LogLevel.Warning,
        Message = "{Dropped} origin-pull decision lines were not logged: the log output could not keep up ({MaxPending} were waiting)")]
    private static partial void LogDropped(ILogger logger, long dropped, int maxPending);
}
