using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace OriginGateway.Coordination;

/// <summary>
/// The gateway's one Redis connection (one multiplexer for the bus, fill claims, counters and the
/// distributed cache) and the Polly pipeline every call goes through: a deadline
/// (<see cref="CoordinationOptions.OperationTimeout"/>) inside a circuit breaker that opens when every
/// one of at least <see cref="CoordinationOptions.BreakerFailures"/> calls of a short window failed and stays open for
/// <see cref="CoordinationOptions.BreakerOpenFor"/>. While it is open no call is made — callers get
/// their local fallback at once, so an outage costs no request a timeout; then one call probes.
/// </summary>
internal sealed partial class RedisConnection : IDisposable
{
    private readonly CoordinationOptions _options;
    private readonly ILogger _logger;
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _breaker = new();
    private readonly ResiliencePipeline _deadlineOnly;
    private readonly TimeProvider _time;
    private long _attempts;
    private long _probeAllowedAt;
    private volatile string? _lastFailure;
    private volatile string? _lastRefusal;
    private long _refusalLoggedAt = long.MinValue;

    public RedisConnection(CoordinationOptions options, TimeProvider time, ILogger<RedisConnection> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        var configuration = ConfigurationOptions.Parse(options.Redis);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)Math.Max(options.OperationTimeout.TotalMilliseconds * 4, 1000);
        configuration.SyncTimeout = (int)Math.Max(options.OperationTimeout.TotalMilliseconds, 100);
        configuration.AsyncTimeout = configuration.SyncTimeout;
        configuration.ConnectRetry = 1;
        configuration.ClientName = "origin-gateway-" + Environment.ProcessId;
        if (options.TlsCaCertificate.Length > 0)
        {
            configuration.TrustIssuer(options.TlsCaCertificate);
        }
        if (options.TlsClientCertificate.Length > 0)
        {
            configuration.SetUserPemCertificate(options.TlsClientCertificate, options.TlsClientKey);
        }
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        _multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, e.FailureType.ToString());
        _multiplexer.ConnectionRestored += (_, _) => LogConnectionRestored(_logger);

        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Every call of a short window failed, and at least BreakerFailures of them: Redis is down. A
                // loaded but living Redis that misses a deadline now and then never opens it (one success in
                // the window keeps it closed); a dead one fails every call, so it opens once the last success
                // has left the window (BreakerFailures deadlines, twice over).
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(2, options.BreakerFailures),
                SamplingDuration = TimeSpan.FromMilliseconds(Math.Max(500, options.OperationTimeout.TotalMilliseconds * Math.Max(2, options.BreakerFailures) * 2)),
                BreakDuration = options.BreakerOpenFor,
                StateProvider = _breaker,
                // Every call that threw failed, whatever the exception: StackExchange.Redis also answers a command it could
                // not write in time (its write lock busy while it reconnects) with a TaskCanceledException, not a
                // RedisException. Counted as a success, such an answer to the probe closed the breaker while Redis was
                // still away — Restored fired, and calls waited out their deadlines again.
                ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is not null),
                OnOpened = args =>
                {
                    Volatile.Write(ref _probeAllowedAt, time.GetTimestamp() + (long)(args.BreakDuration.TotalSeconds * time.TimestampFrequency));
                    LogBreakerOpened(_logger, options.BreakerOpenFor.TotalSeconds, _lastFailure ?? args.Outcome.Exception?.Message ?? "");
                    return default;
                },
                OnClosed = _ =>
                {
                    _lastFailure = null;
                    _lastRefusal = null;
                    LogBreakerClosed(_logger);
                    Restored?.Invoke();
                    return default;
                },
            })
            .AddTimeout(options.OperationTimeout)
            .Build();
        _deadlineOnly = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(options.OperationTimeout).Build();
    }

    /// <summary>The multiplexer, shared with the distributed cache.</summary>
    public IConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>Names every key and channel.</summary>
    public string Prefix => _options.KeyPrefix;

    /// <summary>A replica's identity on the bus and in locks.</summary>
    public string ReplicaId { get; } = Environment.MachineName + "/" + Environment.ProcessId + "/" + Guid.NewGuid().ToString("N")[..8];

    public ISubscriber Subscriber => _multiplexer.GetSubscriber();

    /// <summary>Fires when Redis answers again after the breaker opened (messages may have been missed meanwhile).</summary>
    public event Action? Restored;

    /// <summary>
    /// Whether calls are being made: the breaker is closed, probing, or its break is over (Polly moves
    /// to half-open only when the next call comes, so the break's end is kept here).
    /// </summary>
    public bool Available => _breaker.CircuitState is CircuitState.Closed or CircuitState.HalfOpen
        || (_breaker.CircuitState == CircuitState.Open && _time.GetTimestamp() >= Volatile.Read(ref _probeAllowedAt));

    /// <summary>
    /// Why the last failed call failed, as StackExchange.Redis says it (<c>AuthenticationFailure: … NOAUTH Authentication
    /// required …</c>, <c>UnableToConnect: Connection refused</c>), or null when none failed since Redis last answered: a
    /// wrong password and an unreachable server look alike from the outside (every call misses its deadline).
    /// </summary>
    public string? LastFailure => _lastFailure;

    /// <summary>Calls actually sent to Redis (not answered by the open breaker).</summary>
    internal long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Runs <paramref name="operation"/> within the deadline; <paramref name="fallback"/> when the breaker is open or the call fails.</summary>
    public Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation, T fallback) =>
        RunCallAsync(_ => operation(_multiplexer.GetDatabase()), fallback);

    /// <summary>Runs any Redis-backed call (the distributed cache's too) through the pipeline; <paramref name="fallback"/> when it cannot be made or fails.</summary>
    public Task<T> RunCallAsync<T>(Func<CancellationToken, Task<T>> operation, T fallback) => ExecuteAsync(_pipeline, operation, fallback);

    /// <summary>
    /// Runs a call that is made even while the breaker is open, within the deadline and not counted by the breaker:
    /// releasing a fill claim. Other replicas wait for that key until the claim is released or expires, and the breaker
    /// can be open while Redis already answers again (a claim taken by a call Redis received late is then released).
    /// </summary>
    public Task<T> RunPastBreakerAsync<T>(Func<IDatabase, Task<T>> operation, T fallback) =>
        ExecuteAsync(_deadlineOnly, _ => operation(_multiplexer.GetDatabase()), fallback);

    private async Task<T> ExecuteAsync<T>(ResiliencePipeline pipeline, Func<CancellationToken, Task<T>> operation, T fallback)
    {
        // While the breaker is open the guarded pipeline refuses the call at once (BrokenCircuitException): nothing is sent.
        try
        {
            return await pipeline.ExecuteAsync(async token =>
            {
                Interlocked.Increment(ref _attempts);
                // The deadline cancels the token, but a call already sent does not watch it (StackExchange.Redis takes
                // none; the distributed cache checks its token only before sending): the wait for its answer ends here,
                // and the call is left to its own timeout. Against a frozen Redis that came up to a second late.
                var call = operation(token);
                try
                {
                    return await call.WaitAsync(token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // The reason is the call's own failure, which may come after the deadline (its timeout is the same).
                    if (call.IsCompleted)
                    {
                        NoteFailure(call.Exception?.InnerException ?? e);
                    }
                    else
                    {
                        _ = call.ContinueWith(static (t, state) => ((RedisConnection)state!).NoteFailure(t.Exception!.InnerException!), this,
                            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    }
                    throw;
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The breaker refused the call, or the call failed: either way coordination falls back to this replica.
            return fallback;
        }
    }

    /// <summary>
    /// Readiness: null when Redis takes a write now (a key of its own, expiring in a minute — a PING is answered by a
    /// server that refuses every write), else why not: <see cref="Refusal.Refused"/> with the server's error when it
    /// answered with one (<c>OOM command not allowed when used memory &gt; 'maxmemory'</c>, <c>READONLY You can't write
    /// against a read only replica</c>, <c>MISCONF</c> when it cannot save to its disk), else <see cref="Refusal.Unreachable"/>
    /// with <see cref="LastFailure"/>.
    /// </summary>
    public async Task<(Refusal Kind, string? Reason)?> CheckWritableAsync()
    {
        RedisServerException? refused = null;
        var written = await RunAsync(async db =>
        {
            try
            {
                return await db.StringSetAsync(_options.KeyPrefix + "readiness-probe", ReplicaId, TimeSpan.FromMinutes(1)).ConfigureAwait(false);
            }
            catch (RedisServerException e)
            {
                refused = e;
                throw;
            }
        }, false).ConfigureAwait(false);
        // With the breaker open (every recent call refused), the probe is not sent: the last failure says which it was.
        return written ? null
            : refused is not null ? (Refusal.Refused, ServerError(refused))
            : _lastRefusal is { } last ? (Refusal.Refused, last)
            : (Refusal.Unreachable, LastFailure);
    }

    private void NoteFailure(Exception exception)
    {
        if (exception is OperationCanceledException)
        {
            return;
        }
        _lastFailure = DescribeFailure(exception);
        if (exception is not RedisServerException refused)
        {
            _lastRefusal = null;
            return;
        }
        // Redis is up and answered, but refused: the breaker stays closed as long as its reads succeed (a full Redis
        // still answers GETs), so this is the only trace of claims and counters that fell back to this replica.
        // Once a minute at most.
        var error = ServerError(refused);
        _lastRefusal = error;
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _refusalLoggedAt);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= TimeSpan.FromMinutes(1))
            && Interlocked.CompareExchange(ref _refusalLoggedAt, now, last) == last)
        {
            LogRefused(_logger, error);
        }
    }

    /// <summary>The server's own error line (<c>OOM command not allowed …</c>), cut to 200 characters.</summary>
    private static string ServerError(RedisServerException exception) =>
        exception.Message.Length > 200 ? exception.Message[..200] : exception.Message;

    /// <summary>
    /// A failed call in a few words: the connection's failure type and the innermost reason (the server's error, the
    /// socket's), without the client library's counters. StackExchange.Redis never puts the password in its messages.
    /// </summary>
    internal static string DescribeFailure(Exception exception)
    {
        var type = exception is RedisConnectionException connection ? connection.FailureType.ToString() : exception.GetType().Name;
        var innermost = exception;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }
        var reason = innermost.Message;
        foreach (var cut in new[] { " - ", ", Flushed", ", Initializing", ", command=", " Attempted command" })
        {
            var at = reason.IndexOf(cut, StringComparison.Ordinal);
            if (at > 0)
            {
                reason = reason[..at];
            }
        }
        if (reason.Length > 200)
        {
            reason = reason[..200];
        }
        return reason.StartsWith(type, StringComparison.Ordinal) ? reason : $"{type}: {reason}";
    }

    public void Dispose() => _multiplexer.Dispose();

    [LoggerMessage(EventId = LogEvents.RedisConnectionFailed, Level = LogLevel.Warning, Message = "Redis connection failed ({FailureType}); coordination falls back to this replica until it returns")]
    private static partial void LogConnectionFailed(ILogger logger, string failureType);

    [LoggerMessage(EventId = LogEvents.RedisConnectionRestored, Level = LogLevel.Information, Message = "Redis connection restored")]
    private static partial void LogConnectionRestored(ILogger logger);

    [LoggerMessage(EventId = LogEvents.RedisBreakerOpened, Level = LogLevel.Warning, Message = "Redis circuit breaker open: local coordination for {Seconds} s ({Error})")]
    private static partial void LogBreakerOpened(ILogger logger, double seconds, string error);

    [LoggerMessage(EventId = LogEvents.RedisRefused, Level = LogLevel.Warning, Message = "Redis refused a command ({Error}): fill claims, the shared 404 cache and rate limits fall back to this replica while it does")]
    private static partial void LogRefused(ILogger logger, string error);

    [LoggerMessage(EventId = LogEvents.RedisBreakerClosed, Level = LogLevel.Information, Message = "Redis circuit breaker closed: coordination is shared again; cached lookups are dropped and configurations reloaded")]
    private static partial void LogBreakerClosed(ILogger logger);
}

/// <summary>Why Redis takes no write: it answered with an error, or it could not be reached.</summary>
internal enum Refusal
{
    Refused,
    Unreachable,
}
