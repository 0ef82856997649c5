using System.Globalization;
using System.Text.Json;
using OriginGateway.Callbacks;
using OriginGateway.Origins;
using OriginGateway.Storage;
using OriginGateway.Tasks;

namespace OriginGateway.FetchTasks;

/// <summary>
/// Runs a COS fetch task (kind <c>fetch</c>, <c>02-tasks.md</c> §2.2): the policy re-checked, an
/// existing key skipped when asked, the URL pulled into the bucket with its MD5 verified, and a
/// signed callback queued with the final outcome.
/// </summary>
internal sealed class FetchTaskHandler(
    TaskFill fill,
    TaskOptions options,
    TimeProvider time) : ITaskHandler
{
    public const string TaskKind = "fetch";

    public string Kind => TaskKind;

    public RetryPolicy Retry { get; } = options.RetryPolicy();

    public static FetchTaskPayload Payload(TaskRecord task) => JsonSerializer.Deserialize(task.Payload, FetchTaskJsonContext.Default.FetchTaskPayload)!;

    public async Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var task = run.Task;
        var payload = Payload(task);
        if (fill.Target(task.Bucket, task.Key, out var bucket) is { } refusedTarget)
        {
            return refusedTarget;
        }
        if (await TaskFill.StoredByAsync(bucket, task.Key, task.Id, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return TaskOutcome.Success(stored.Length, stored.Md5Hex, "Stored by an earlier attempt.");
        }
        if ((payload.IgnoreSameKey || payload.OnKeyExist == "ignore") && await bucket.Store.FindAsync(task.Key, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return TaskOutcome.Success(existing.Length, existing.Md5Hex, "The key exists; skipped.");
        }
        if (TaskUrl.Parse(payload.Url, schemeOptional: true, out var error) is not { } url)
        {
            return TaskOutcome.Permanent("InvalidArgument", "Url " + error + ".");
        }
        var md5 = payload.Md5 is { Length: 32 } hex ? Convert.FromHexString(hex) : null;
        // "Skip an existing key" holds at the commit too: an object written while the URL was fetched is kept.
        var keepExisting = payload.IgnoreSameKey || payload.OnKeyExist == "ignore";
        return await fill.RunAsync(bucket, task.Key, OriginFetchRequest.ForUrl(url, TaskKind), md5, run, cancellationToken,
            condition: keepExisting ? WriteCondition.StillAbsent : null).ConfigureAwait(false);
    }

    public IReadOnlyList<NewTask> FollowUps(TaskRecord task, TaskOutcome outcome)
    {
        var payload = Payload(task);
        var target = outcome.Succeeded ? payload.SuccessCallbackUrl : payload.FailureCallbackUrl;
        if (string.IsNullOrEmpty(target) || TaskUrl.Parse(target, schemeOptional: false, out _) is not { } url)
        {
            return [];
        }
        return [CallbackHandler.Create(task, url, CallbackBody(task, payload, outcome))];
    }

    /// <summary>The callback's JSON body (§2.3).</summary>
    private byte[] CallbackBody(TaskRecord task, FetchTaskPayload payload, TaskOutcome outcome)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", outcome.Succeeded ? "fetch.succeeded" : "fetch.failed");
            json.WriteString("taskid", task.Id);
            json.WriteString("bucket", task.Bucket);
            json.WriteString("key", task.Key);
            json.WriteString("url", payload.Url);
            json.WriteString("status", outcome.Succeeded ? "TASK_SUCCESS" : "TASK_FAILED");
            json.WriteString("code", outcome.Code ?? "");
            json.WriteString("message", outcome.Message ?? "");
            json.WriteNumber("size", outcome.Size ?? 0);
            json.WriteString("etag", outcome.ETag ?? "");
            json.WriteString("md5", outcome.ETag ?? "");
            json.WriteString("finished_at", time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteNumber("attempts", task.Attempts);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
