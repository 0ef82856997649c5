using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace OriginGateway.Coordination;

/// <summary>
/// The gateway's one Redis connection, behind a circuit breaker: each call has a deadline, and
/// after <see cref="CoordinationOptions.BreakerFailures"/> failures in a row no call is made for
/// <see cref="CoordinationOptions.BreakerOpenFor"/> — callers get their local fallback at once, so
/// an outage costs no request a timeout. The first call after that is the probe.
/// </summary>
internal sealed partial class RedisConnection : IDisposable
{
    private readonly CoordinationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly Lock _lock = new();
    private int _failures;
    private long _attempts;
    private long _openUntil;
    private bool _open;

    public RedisConnection(CoordinationOptions options, TimeProvider time, ILogger<RedisConnection> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        var configuration = ConfigurationOptions.Parse(options.Redis);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)Math.Max(options.OperationTimeout.TotalMilliseconds * 4, 1000);
        configuration.SyncTimeout = (int)Math.Max(options.OperationTimeout.TotalMilliseconds, 100);
        configuration.ConnectRetry = 1;
        configuration.ClientName = "origin-gateway-" + Environment.ProcessId;
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        _multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, e.FailureType.ToString());
        _multiplexer.ConnectionRestored += (_, _) => LogConnectionRestored(_logger);
    }

    /// <summary>Names every key and channel.</summary>
    public string Prefix => _options.KeyPrefix;

    /// <summary>A replica's identity on the bus and in locks.</summary>
    public string ReplicaId { get; } = Environment.MachineName + "/" + Environment.ProcessId + "/" + Guid.NewGuid().ToString("N")[..8];

    public ISubscriber Subscriber => _multiplexer.GetSubscriber();

    /// <summary>Fires when Redis answers again after the breaker opened (messages may have been missed meanwhile).</summary>
    public event Action? Restored;

    /// <summary>Whether calls are being made (the breaker is closed or probing).</summary>
    public bool Available => !_open || _time.GetTimestamp() >= Volatile.Read(ref _openUntil);

    /// <summary>Calls actually sent to Redis (not answered by the open breaker).</summary>
    internal long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Runs <paramref name="operation"/> within the deadline; <paramref name="fallback"/> when the breaker is open or the call fails.</summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation, T fallback)
    {
        if (!Available)
        {
            return fallback;
        }
        Interlocked.Increment(ref _attempts);
        try
        {
            var result = await operation(_multiplexer.GetDatabase()).WaitAsync(_options.OperationTimeout, _time).ConfigureAwait(false);
            Succeeded();
            return result;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            Failed(e);
            return fallback;
        }
    }

    private void Succeeded()
    {
        if (Volatile.Read(ref _failures) == 0 && !_open)
        {
            return;
        }
        bool reopened;
        lock (_lock)
        {
            reopened = _open;
            _failures = 0;
            _open = false;
        }
        if (reopened)
        {
            LogBreakerClosed(_logger);
            Restored?.Invoke();
        }
    }

    private void Failed(Exception e)
    {
        lock (_lock)
        {
            _failures++;
            if (_failures >= _options.BreakerFailures)
            {
                if (!_open)
                {
                    LogBreakerOpened(_logger, _failures, _options.BreakerOpenFor.TotalSeconds, e.Message);
                }
                _open = true;
                Volatile.Write(ref _openUntil, _time.GetTimestamp() + (long)(_options.BreakerOpenFor.TotalSeconds * _time.TimestampFrequency));
            }
        }
    }

    public void Dispose() => _multiplexer.Dispose();

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Redis connection failed ({FailureType}); coordination falls back to this replica until it returns")]
    private static partial void LogConnectionFailed(ILogger logger, string failureType);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Redis connection restored")]
    private static partial void LogConnectionRestored(ILogger logger);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Redis circuit breaker open after {Failures} failures: local coordination for {Seconds} s ({Error})")]
    private static partial void LogBreakerOpened(ILogger logger, int failures, double seconds, string error);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Redis circuit breaker closed: coordination is shared again; cached lookups are dropped and configurations reloaded")]
    private static partial void LogBreakerClosed(ILogger logger);
}
