using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Storage;
using OriginGateway.Tasks;

namespace OriginGateway.OriginPull;

/// <summary>
/// The Proxy action's background stores (kind <c>store</c>, priority −5, one queued or running per
/// key): the object is fetched again by the one origin fetcher and stored, as the service
/// principal — a bucket policy that does not allow it means nothing is stored (logged, counted).
/// </summary>
internal sealed partial class ProxyStoreHandler(
    TaskFill fill,
    TaskOptions options,
    GatewayMetrics metrics,
    ILogger<ProxyStoreHandler> logger) : ITaskHandler
{
    public const string TaskKind = "store";

    public const int Priority = -5;

    public string Kind => TaskKind;

    public RetryPolicy Retry { get; } = options.RetryPolicy();

    /// <summary>The task that stores <paramref name="key"/> from the origin request a Proxy rule built.</summary>
    public static NewTask Create(string bucket, string key, OriginFetchRequest request)
    {
        var payload = new StorePayload(request.Scheme, request.PathAndQuery, request.Headers.Select(h => new[] { h.Key, h.Value }).ToArray(),
            request.Candidates.ToArray(), request.FollowRedirects, request.StandbyStatusCodes.ToArray());
        return new NewTask(TaskKind, bucket, key, request.Candidates[0], Priority,
            JsonSerializer.Serialize(payload, StoreJsonContext.Default.StorePayload), DedupKey: TaskKind + "\n" + bucket + "\n" + key);
    }

    public async Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var task = run.Task;
        if (fill.Target(task.Bucket, task.Key, out var bucket) is { } refused)
        {
            if (refused.Code == "AccessDenied")
            {
                metrics.CommitRejected("AccessDenied");
                LogDenied(logger, task.Bucket, KeyHash.Of(task.Key));
            }
            return refused;
        }
        var payload = JsonSerializer.Deserialize(task.Payload, StoreJsonContext.Default.StorePayload)!;
        var request = new OriginFetchRequest(payload.Scheme, payload.PathAndQuery,
            payload.Headers.Select(h => new KeyValuePair<string, string>(h[0], h[1])).ToList(), payload.Candidates, payload.FollowRedirects,
            payload.StandbyCodes.ToHashSet());
        // Queued by a miss: stored only while the key still has no object (a client's PUT meanwhile is kept).
        return await fill.RunAsync(bucket, task.Key, request, null, run, cancellationToken, condition: WriteCondition.StillAbsent).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = LogEvents.ProxyStoreTaskDenied, Level = LogLevel.Warning, Message = "Proxy store in bucket {Bucket} key#{KeyHash} refused: the bucket policy does not let the service principal write the key")]
    private static partial void LogDenied(ILogger logger, string bucket, string keyHash);
}

internal sealed record StorePayload(string Scheme, string PathAndQuery, string[][] Headers, string[] Candidates, bool FollowRedirects, int[] StandbyCodes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StorePayload))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
