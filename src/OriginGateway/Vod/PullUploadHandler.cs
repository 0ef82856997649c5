using System.Globalization;
using System.Text.Json;
using OriginGateway.Buckets;
using OriginGateway.Callbacks;
using OriginGateway.Origins;
using OriginGateway.Tasks;

namespace OriginGateway.Vod;

/// <summary>
/// Runs a PullUpload (kind <c>pullupload</c>): the cover first (gif, jpeg or png), then the media —
/// one file, or an HLS stream whole — into the media bucket as the service principal; on success a
/// <c>NewFileUpload</c> event and, with <c>ExpireTime</c>, the deletion queued for that time.
/// </summary>
internal sealed class PullUploadHandler(
    TaskFill fill,
    HlsPull hls,
    VodOptions vod,
    TaskOptions options,
    TimeProvider time) : ITaskHandler
{
    public const string TaskKind = "pullupload";

    public string Kind => TaskKind;

    public RetryPolicy Retry { get; } = options.RetryPolicy();

    /// <summary>DescribeTaskDetail's ErrCode and Message: 0 | 40000 bad parameters | 60000 source error | 70000 internal.</summary>
    public static (int ErrCode, string Message) ErrorOf(TaskRecord task)
    {
        if (task.State != TaskState.Failed)
        {
            return (0, task.State == TaskState.Cancelled ? "cancelled" : "");
        }
        var code = task.ResultCode ?? "";
        var errCode = code switch
        {
            "MediaType" or "FailedOperation.MediaType" or "FailedOperation.CoverType" or "InvalidArgument" or "TooManyFiles" => 40000,
            _ when OriginFailure.IsTheOrigins(code) || code is "EntityTooLarge" or "UnverifiableBody" or "BadPlaylist" => 60000,
            _ => 70000,
        };
        return (errCode, $"{code}: {task.ResultMessage}");
    }

    private static PullUploadPayload Payload(TaskRecord task) => JsonSerializer.Deserialize(task.Payload, VodJsonContext.Default.PullUploadPayload)!;

    public async Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var payload = Payload(run.Task);
        if (fill.Target(payload.Bucket, payload.Key, out var bucket) is { } refusedTarget)
        {
            return refusedTarget;
        }
        if (payload.CoverKey is { } coverKey && await TaskFill.StoredByAsync(bucket, coverKey, run.Task.Id, cancellationToken).ConfigureAwait(false) is null)
        {
            var cover = await FetchAsync(bucket, coverKey, payload.Request.CoverUrl!, run, CoverCheck, cancellationToken).ConfigureAwait(false);
            if (!cover.Succeeded)
            {
                return cover.Code == "FailedOperation.CoverType" ? cover : cover with { Message = "Cover: " + cover.Message };
            }
        }
        if (payload.MediaType == "m3u8")
        {
            return await hls.PullAsync(bucket, payload.Key, payload.Request.MediaUrl, run, cancellationToken).ConfigureAwait(false);
        }
        if (await TaskFill.StoredByAsync(bucket, payload.Key, run.Task.Id, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return TaskOutcome.Success(stored.Length, stored.Md5Hex, "Stored by an earlier attempt.") with { ContentType = stored.ContentType };
        }
        var outcome = await FetchAsync(bucket, payload.Key, payload.Request.MediaUrl, run, payload.MediaType is null ? MediaCheck : null, cancellationToken).ConfigureAwait(false);
        return outcome.Succeeded && payload.MediaType is null
            ? outcome with { ContentType = (await bucket.Store.FindAsync(payload.Key, cancellationToken).ConfigureAwait(false))?.ContentType }
            : outcome;
    }

    private async Task<TaskOutcome> FetchAsync(Bucket bucket, string key, string urlText, TaskRun run, Func<HttpResponseMessage, TaskOutcome?>? inspect, CancellationToken cancellationToken)
    {
        if (TaskUrl.Parse(urlText, schemeOptional: false, out var error) is not { } url)
        {
            return TaskOutcome.Permanent("InvalidArgument", "The URL " + error + ".");
        }
        return await fill.RunAsync(bucket, key, OriginFetchRequest.ForUrl(url, TaskKind), null, run, cancellationToken, inspect).ConfigureAwait(false);
    }

    /// <summary>Without a MediaType or a media extension, the origin's Content-Type decides.</summary>
    private static TaskOutcome? MediaCheck(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType is { } type && (type.StartsWith("video/", StringComparison.OrdinalIgnoreCase) || type.StartsWith("audio/", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/vnd.apple.mpegurl", StringComparison.OrdinalIgnoreCase) || type.Equals("application/x-mpegurl", StringComparison.OrdinalIgnoreCase))
            ? null
            : TaskOutcome.Permanent("MediaType", "Neither MediaType, the URL's extension nor the origin's Content-Type says this is audio or video.");

    private static TaskOutcome? CoverCheck(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant() is "image/gif" or "image/jpeg" or "image/jpg" or "image/png"
            ? null
            : TaskOutcome.Permanent("FailedOperation.CoverType", "The cover must be gif, jpeg or png (by its Content-Type).");

    public IReadOnlyList<NewTask> FollowUps(TaskRecord task, TaskOutcome outcome)
    {
        if (!outcome.Succeeded)
        {
            return [];
        }
        var payload = Payload(task);
        var next = new List<NewTask>();
        if (vod.EventCallbackUrl.Length > 0 && TaskUrl.Parse(vod.EventCallbackUrl, schemeOptional: false, out _) is { } url)
        {
            next.Add(CallbackHandler.Create(task, url, Event(task, payload, outcome)));
        }
        if (payload.Request.ExpireTime is { } expire)
        {
            var keys = outcome.Message is { } m && m.StartsWith("HLS:", StringComparison.Ordinal) ? HlsPull.KeysOf(outcome) : [payload.Key];
            next.Add(ExpireHandler.Create(task, payload.FileId, payload.CoverKey is { } c ? [.. keys, c] : keys, expire));
        }
        return next;
    }

    /// <summary>VOD's <c>NewFileUpload</c> event.</summary>
    private byte[] Event(TaskRecord task, PullUploadPayload payload, TaskOutcome outcome)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("EventHandle", task.Id);
            json.WriteString("EventType", "NewFileUpload");
            json.WriteStartObject("FileUploadEvent");
            json.WriteString("FileId", payload.FileId);
            json.WriteStartObject("MediaBasicInfo");
            json.WriteString("Name", payload.Request.MediaName ?? Path.GetFileNameWithoutExtension(payload.Key));
            json.WriteString("Type", payload.MediaType ?? PullUploadRequest.TypeFromContentType(outcome.ContentType) ?? "");
            json.WriteNumber("Size", outcome.Size ?? 0);
            json.WriteString("CreateTime", DateTimeOffset.FromUnixTimeMilliseconds(task.CreatedAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            json.WriteString("StorageRegion", payload.Request.StorageRegion ?? "");
            json.WriteNumber("ClassId", payload.Request.ClassId ?? 0);
            json.WriteEndObject();
            json.WriteString("ProcedureTaskId", "");
            json.WriteString("SourceContext", payload.Request.SourceContext ?? "");
            json.WriteString("SessionContext", payload.Request.SessionContext ?? "");
            json.WriteString("Bucket", payload.Bucket);
            json.WriteString("Key", payload.Key);
            json.WriteString("Time", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
