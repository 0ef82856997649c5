using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OriginGateway.Observability;

/// <summary>
/// Log lines written off the request path — the origin-pull decisions and the access log: a request only queues its
/// line's values; a timer hands what queued in the last <see cref="Delay"/> to the logger in one go, and the line is
/// formatted there (a key hashed, an address written out). Logged from the request, every line woke the console
/// logger's writer thread — a futex call and a context switch per request (bench/README.md). Lines keep their order;
/// one queued while the logger cannot keep up is dropped once <see cref="MaxPending"/> wait, counted, and reported —
/// a request never waits for the log.
/// </summary>
/// <typeparam name="TLine">What a request hands over: the line's values, unformatted.</typeparam>
internal sealed class QueuedLog<TLine> : IDisposable
{
    /// <summary>How many lines may wait unless a log says otherwise.</summary>
    public const int DefaultMaxPending = 65_536;

    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentQueue<(LogLevel Level, TLine Line)> _pending = new();
    private readonly ILogger _logger;
    private readonly Action<ILogger, LogLevel, TLine> _write;
    private readonly Action<ILogger, long, int> _reportDropped;
    private readonly Timer _timer;
    private readonly Lock _drain = new();
    private int _count;
    private int _scheduled;
    private long _dropped;

    /// <param name="logger">Where the lines go.</param>
    /// <param name="write">Formats and logs one line (on the timer's thread).</param>
    /// <param name="reportDropped">Logs how many lines were dropped, and the limit.</param>
    /// <param name="maxPending">How many lines may wait.</param>
    public QueuedLog(ILogger logger, Action<ILogger, LogLevel, TLine> write, Action<ILogger, long, int> reportDropped, int maxPending)
    {
        _logger = logger;
        _write = write;
        _reportDropped = reportDropped;
        MaxPending = maxPending;
        _timer = new Timer(static state => ((QueuedLog<TLine>)state!).Drain(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public int MaxPending { get; }

    public bool IsEnabled(LogLevel level) => _logger.IsEnabled(level);

    /// <summary>Queues a line; the caller has checked <see cref="IsEnabled"/>.</summary>
    public void Write(LogLevel level, TLine line)
    {
        if (Interlocked.Increment(ref _count) > MaxPending)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _pending.Enqueue((level, line));
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
            while (_pending.TryDequeue(out var queued))
            {
                Interlocked.Decrement(ref _count);
                // A level raised since the line was queued (configuration reloaded) drops it.
                if (_logger.IsEnabled(queued.Level))
                {
                    _write(_logger, queued.Level, queued.Line);
                }
            }
            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
            {
                _reportDropped(_logger, dropped, MaxPending);
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Drain();
    }
}
