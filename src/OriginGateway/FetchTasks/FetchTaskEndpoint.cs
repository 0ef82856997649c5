using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OriginGateway.Buckets;
using OriginGateway.FrontDoor;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Tasks;

namespace OriginGateway.FetchTasks;

/// <summary>
/// The COS fetch-task API on the control endpoint (<c>02-tasks.md</c> §2.2):
/// <c>POST /&lt;bucket&gt;/</c> submits, <c>GET /&lt;bucket&gt;/&lt;taskid&gt;</c> reports progress,
/// <c>DELETE /&lt;bucket&gt;/&lt;taskid&gt;</c> cancels. COS-signed; every answer, errors included,
/// is JSON of the seed's shape.
/// </summary>
internal sealed class FetchTaskEndpoint(BucketRegistry buckets, CosAuthenticator authenticator, BucketPolicyService policies, TaskEngine engine)
{
    /// <summary>JSON API bodies are at most 1 MiB (<c>03-security.md</c> §3.4).</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public async Task SubmitAsync(HttpContext context, string bucketName)
    {
        var requestId = Begin(context);
        if (Authorize(context, bucketName, requestId, out var bucket) is { } refused)
        {
            await refused.ConfigureAwait(false);
            return;
        }
        var body = await BoundedRead.ReadAsync(context.Request.Body, MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ErrorAsync(context, 400, "InvalidArgument", $"The body is larger than {MaxBodyBytes} bytes.", requestId).ConfigureAwait(false);
            return;
        }
        if (FetchTaskRequest.Parse(body, out var error) is not { } request)
        {
            await ErrorAsync(context, 400, "InvalidArgument", error!, requestId).ConfigureAwait(false);
            return;
        }
        if (!policies.ServiceMayWrite(bucket!, request.Key))
        {
            await ErrorAsync(context, 403, "AccessDenied", "The bucket policy does not let the service principal (cos.qcloud.com) write this key (name/cos:PutObject).", requestId)
                .ConfigureAwait(false);
            return;
        }
        var payload = JsonSerializer.Serialize(request.Payload, FetchTaskJsonContext.Default.FetchTaskPayload);
        var task = (await engine.SubmitAsync(new NewTask(FetchTaskHandler.TaskKind, bucket!.Name, request.Key, request.Url.Authority, 0, payload), context.RequestAborted).ConfigureAwait(false))!;
        await WriteAsync(context, 200, requestId, json =>
        {
            json.WriteStartObject("data");
            json.WriteString("taskid", task.Id);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public async Task GetAsync(HttpContext context, string bucketName, string taskId)
    {
        var requestId = Begin(context);
        if (Authorize(context, bucketName, requestId, out _) is { } refused)
        {
            await refused.ConfigureAwait(false);
            return;
        }
        if (await FindAsync(bucketName, taskId, context.RequestAborted).ConfigureAwait(false) is not { } task)
        {
            await ErrorAsync(context, 404, "NoSuchTask", "The task does not exist in this bucket.", requestId).ConfigureAwait(false);
            return;
        }
        var payload = FetchTaskHandler.Payload(task);
        await WriteAsync(context, 200, requestId, json =>
        {
            json.WriteStartObject("data");
            json.WriteString("status", Status(task.State));
            json.WriteNumber("percent", task.Percent);
            if (task.State == TaskState.Failed)
            {
                json.WriteString("code", task.ResultCode);
                json.WriteString("msg", task.ResultMessage);
            }
            else if (task.ResultMessage is { } note && task.State == TaskState.Succeeded)
            {
                json.WriteString("msg", note);
            }
            json.WriteString("Key", task.Key);
            json.WriteString("Url", payload.Url);
            json.WriteNumber("size", task.Size ?? task.BytesTotal ?? 0);
            json.WriteString("etag", task.ETag ?? "");
            json.WriteNumber("attempts", task.Attempts);
            if (task.State == TaskState.Queued && task.ResultCode is { } lastError)
            {
                json.WriteString("last_error", lastError);
            }
            if (task.CallbackState is { } callback)
            {
                json.WriteStartObject("callback");
                json.WriteString("state", callback);
                json.WriteNumber("attempts", task.CallbackAttempts);
                if (task.CallbackError is { } callbackError)
                {
                    json.WriteString("error", callbackError);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public async Task CancelAsync(HttpContext context, string bucketName, string taskId)
    {
        var requestId = Begin(context);
        if (Authorize(context, bucketName, requestId, out _) is { } refused)
        {
            await refused.ConfigureAwait(false);
            return;
        }
        if (await FindAsync(bucketName, taskId, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await ErrorAsync(context, 404, "NoSuchTask", "The task does not exist in this bucket.", requestId).ConfigureAwait(false);
            return;
        }
        switch (await engine.CancelAsync(taskId, context.RequestAborted).ConfigureAwait(false))
        {
            case CancelResult.Cancelled:
                await WriteAsync(context, 200, requestId, _ => { }).ConfigureAwait(false);
                break;
            case CancelResult.AlreadyFinished:
                await ErrorAsync(context, 400, "InvalidArgument", "The task has already finished.", requestId).ConfigureAwait(false);
                break;
            default:
                await ErrorAsync(context, 404, "NoSuchTask", "The task does not exist in this bucket.", requestId).ConfigureAwait(false);
                break;
        }
    }

    private async Task<TaskRecord?> FindAsync(string bucket, string taskId, CancellationToken cancellationToken) =>
        await engine.GetAsync(taskId, cancellationToken).ConfigureAwait(false) is { } task && task.Bucket == bucket && task.Kind == FetchTaskHandler.TaskKind ? task : null;

    private static string Status(TaskState state) => state switch
    {
        TaskState.Queued => "TASK_WAITING",
        TaskState.Running => "TASK_DOING",
        TaskState.Succeeded => "TASK_SUCCESS",
        TaskState.Failed => "TASK_FAILED",
        _ => "TASK_CANCELLED",
    };

    private static string Begin(HttpContext context)
    {
        var requestId = RequestIds.Next();
        context.Response.Headers[RequestIds.HeaderName] = requestId;
        return requestId;
    }

    /// <summary>The signature (COS, over the decoded path) and the credential's right to use the bucket.</summary>
    private Task? Authorize(HttpContext context, string bucketName, string requestId, out Bucket? bucket)
    {
        bucket = null;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        if (!DataPlaneHandler.TrySplitTarget(rawTarget, out var rawPath, out var rawQuery)
            || KeyDecoding.TryDecodePath(rawPath, out var decodedPath) != KeyStatus.Valid)
        {
            return ErrorAsync(context, 400, "InvalidArgument", "The request path is not valid percent-encoded UTF-8.", requestId);
        }
        List<KeyValuePair<string, string>>? query = null;
        if (rawQuery is not null && !QueryParameters.TryParse(rawQuery, out query))
        {
            return ErrorAsync(context, 400, "InvalidArgument", "The query string is not valid percent-encoded UTF-8.", requestId);
        }
        var auth = authenticator.Authenticate(context.Request.Method, decodedPath, query, context.Request.Headers);
        if (auth.Failed)
        {
            return ErrorAsync(context, auth.Status, auth.ErrorCode!, auth.Message!, requestId);
        }
        if (auth.Credential is not { } credential)
        {
            return ErrorAsync(context, 403, "AccessDenied", "The fetch-task API needs a COS-signed request.", requestId);
        }
        bucket = buckets.Find(bucketName);
        if (bucket is null)
        {
            return ErrorAsync(context, 404, "NoSuchBucket", "The specified bucket does not exist.", requestId);
        }
        return credential.MayUse(bucket.Name) ? null : ErrorAsync(context, 403, "AccessDenied", "This credential may not use this bucket.", requestId);
    }

    public static Task ErrorAsync(HttpContext context, int status, string code, string message, string requestId) => JsonAnswer.WriteAsync(context, status, json =>
    {
        json.WriteString("code", code);
        json.WriteString("message", message);
        json.WriteString("request_id", requestId);
    });

    private static Task WriteAsync(HttpContext context, int status, string requestId, Action<Utf8JsonWriter> data) => JsonAnswer.WriteAsync(context, status, json =>
    {
        json.WriteNumber("code", 0);
        json.WriteString("message", "SUCCESS");
        json.WriteString("request_id", requestId);
        data(json);
    });
}
