using System.Net;
using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using OriginGateway.Protocol;

namespace OriginGateway.FrontDoor;

/// <summary>
/// The optional access log: one line per data request (event 1210), on when <c>Logging:LogLevel:OriginGateway.AccessLog</c>
/// is Information — written off the request path through a <see cref="QueuedLog{TLine}"/>: a request queues its values,
/// the key is hashed and the line formatted when the queue is drained. The key appears as its short hash, never the path
/// or query (presigned URLs carry signatures).
/// </summary>
internal sealed partial class AccessLog : IDisposable
{
    public const string Category = "OriginGateway.AccessLog";

    private readonly QueuedLog<AccessLine> _queue;

    public AccessLog(ILoggerFactory loggers)
        : this(loggers.CreateLogger(Category), QueuedLog<AccessLine>.DefaultMaxPending)
    {
    }

    internal AccessLog(ILogger logger, int maxPending) => _queue = new(logger, Log, LogDropped, maxPending);

    public bool IsEnabled => _queue.IsEnabled(LogLevel.Information);

    /// <summary>Queues the request's line; the caller has checked <see cref="IsEnabled"/>.</summary>
    public void Write(AccessLine line) => _queue.Write(LogLevel.Information, line);

    public void Dispose() => _queue.Dispose();

    private static void Log(ILogger logger, LogLevel level, AccessLine a)
    {
        // The queue logs a line only while its level is enabled.
        var keyHash = a.Key is { Length: > 0 } key ? KeyHash.Of(key) : "-";
        var client = a.Client?.ToString() ?? "-";
        LogAccess(logger, a.Method, a.Bucket, keyHash, a.Action, a.Status, a.Bytes, a.DurationMs, a.RequestId, client);
    }

    [LoggerMessage(EventId = LogEvents.AccessLog, Level = LogLevel.Information,
        Message = "{Method} bucket {Bucket} key#{KeyHash} {Action} {Status} bytes {Bytes} in {DurationMs:F1} ms request {RequestId} client {Client}")]
    private static partial void LogAccess(ILogger logger, string method, string bucket, string keyHash, string action, int status, long bytes, double durationMs, string requestId, string client);

    [LoggerMessage(EventId = LogEvents.AccessLogDropped, Level = LogLevel.Warning,
        Message = "{Dropped} access log lines were not logged: the log output could not keep up ({MaxPending} were waiting)")]
    private static partial void LogDropped(ILogger logger, long dropped, int maxPending);
}

/// <summary>One data request as the access log records it.</summary>
internal readonly record struct AccessLine(string Method, string Bucket, string? Key, string Action, int Status, long Bytes, double DurationMs, string RequestId, IPAddress? Client);
