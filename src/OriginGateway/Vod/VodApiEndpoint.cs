using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;
using OriginGateway.Lifecycle;
using OriginGateway.Protocol;
using OriginGateway.Rules;
using OriginGateway.Security;
using OriginGateway.Tasks;

namespace OriginGateway.Vod;

/// <summary>
/// The TencentCloud API 3.0 endpoint of VOD on the control endpoint (<c>POST /</c>,
/// <c>02-tasks.md</c> §2.4): <c>TC3-HMAC-SHA256</c>-signed, <c>X-TC-Action</c> <c>PullUpload</c> or
/// <c>DescribeTaskDetail</c>, <c>X-TC-Version: 2018-07-17</c>. Every answer is HTTP 200 with
/// <c>{"Response":{…,"RequestId":"…"}}</c> — errors too, because the official SDKs read the error
/// code only from a 200.
/// </summary>
internal sealed class VodApiEndpoint(
    Tc3Authenticator authenticator,
    VodRateLimiter limiter,
    VodSessions sessions,
    VodOptions options,
    BucketRegistry buckets,
    BucketPolicyService policies,
    CredentialStore credentials,
    EndpointBinding binding,
    TaskEngine engine,
    TimeProvider time)
{
    public const string Version = "2018-07-17";

    public async Task HandleAsync(HttpContext context)
    {
        var requestId = Guid.NewGuid().ToString();
        var body = await BoundedRead.ReadAsync(context.Request.Body, FetchTasks.FetchTaskEndpoint.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ErrorAsync(context, requestId, "InvalidParameter", "The request body is larger than 1 MiB.").ConfigureAwait(false);
            return;
        }
        var auth = authenticator.Authenticate(context.Request, body);
        if (auth.Failed)
        {
            await ErrorAsync(context, requestId, auth.Code!, auth.Message!).ConfigureAwait(false);
            return;
        }
        var credential = auth.Credential!;
        if (!await limiter.TryAcquireAsync(credential.SecretId).ConfigureAwait(false))
        {
            await ErrorAsync(context, requestId, "RequestLimitExceeded", $"More than {options.RequestsPerSecond} requests per second for this SecretId.").ConfigureAwait(false);
            return;
        }
        if (context.Request.Headers["X-TC-Version"].ToString() != Version)
        {
            await ErrorAsync(context, requestId, "NoSuchVersion", $"X-TC-Version must be {Version}.").ConfigureAwait(false);
            return;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, requestId, "InvalidParameter", "The request body is not valid JSON: " + e.Message).ConfigureAwait(false);
            return;
        }
        using (document)
        {
            var action = context.Request.Headers["X-TC-Action"].ToString();
            switch (action)
            {
                case "PullUpload":
                    await PullUploadAsync(context, requestId, credential, document.RootElement).ConfigureAwait(false);
                    break;
                case "DescribeTaskDetail":
                    await DescribeTaskDetailAsync(context, requestId, document.RootElement).ConfigureAwait(false);
                    break;
                default:
                    await ErrorAsync(context, requestId, "InvalidAction", $"The action '{action}' is not supported (PullUpload, DescribeTaskDetail).").ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task PullUploadAsync(HttpContext context, string requestId, Credential credential, JsonElement root)
    {
        var request = PullUploadRequest.Parse(root, time.GetUtcNow(), r => options.RegionBuckets.ContainsKey(r) || options.Regions.Contains(r), out var code, out var message);
        if (request is null)
        {
            await ErrorAsync(context, requestId, code!, message!).ConfigureAwait(false);
            return;
        }
        var bucketName = request.StorageRegion is { } region && options.RegionBuckets.TryGetValue(region, out var regional)
            ? regional
            : options.Buckets.GetValueOrDefault((request.SubAppId ?? 0).ToString(CultureInfo.InvariantCulture));
        if (bucketName is null)
        {
            await ErrorAsync(context, requestId, "InvalidParameterValue.SubAppId", $"No media bucket is configured for SubAppId {request.SubAppId ?? 0} (Vod:Buckets).").ConfigureAwait(false);
            return;
        }
        if (buckets.Find(bucketName) is not { } bucket || !credential.MayUse(bucket.Name))
        {
            await ErrorAsync(context, requestId, "UnauthorizedOperation", "This SecretId may not use the media bucket.").ConfigureAwait(false);
            return;
        }
        var fileId = NewFileId();
        var key = request.MediaStoragePath is { } path ? path[1..] : $"{fileId}/{FileName(request)}";
        if (KeyDecoding.Check(key) != KeyStatus.Valid)
        {
            await ErrorAsync(context, requestId, "InvalidParameterValue.MediaStoragePath", "The media's key is not a valid object key.").ConfigureAwait(false);
            return;
        }
        if (!policies.ServiceMayWrite(bucket, key))
        {
            await ErrorAsync(context, requestId, "UnauthorizedOperation", "The bucket policy does not let the service principal write the media.").ConfigureAwait(false);
            return;
        }
        if (request.SessionId is { } sessionId && !await sessions.TryClaimAsync(sessionId, context.RequestAborted).ConfigureAwait(false))
        {
            await ErrorAsync(context, requestId, "InvalidParameterValue.SessionId", "This SessionId was used within the last 3 days.").ConfigureAwait(false);
            return;
        }
        // The cover keeps its URL's extension; without one its stored Content-Type says what it is.
        var coverKey = request.CoverUrl is { } cover
            ? $"{fileId}/cover" + (PullUploadRequest.Extension(cover) is { } coverExtension ? "." + coverExtension.ToLowerInvariant() : "")
            : null;
        var payload = new PullUploadPayload(request, fileId, bucket.Name, key, coverKey, credential.SecretId, request.KnownMediaType);
        var url = TaskUrl.Parse(request.MediaUrl, schemeOptional: false, out _)!;
        var task = (await engine.SubmitAsync(new NewTask(PullUploadHandler.TaskKind, bucket.Name, key, url.Authority, request.TasksPriority,
            JsonSerializer.Serialize(payload, VodJsonContext.Default.PullUploadPayload)), context.RequestAborted).ConfigureAwait(false))!;
        await WriteAsync(context, requestId, json => json.WriteString("TaskId", task.Id)).ConfigureAwait(false);
    }

    private async Task DescribeTaskDetailAsync(HttpContext context, string requestId, JsonElement root)
    {
        var taskId = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("TaskId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        if (string.IsNullOrEmpty(taskId))
        {
            await ErrorAsync(context, requestId, "MissingParameter", "TaskId is required.").ConfigureAwait(false);
            return;
        }
        if (await engine.GetAsync(taskId, context.RequestAborted).ConfigureAwait(false) is not { Kind: PullUploadHandler.TaskKind } task)
        {
            await ErrorAsync(context, requestId, "ResourceNotFound", "The task does not exist.").ConfigureAwait(false);
            return;
        }
        var payload = JsonSerializer.Deserialize(task.Payload, VodJsonContext.Default.PullUploadPayload)!;
        var status = task.State switch
        {
            TaskState.Queued => "WAITING",
            TaskState.Running => "PROCESSING",
            _ => "FINISH",
        };
        var mediaType = await payload.MediaTypeInAsync(buckets, context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, requestId, json =>
        {
            json.WriteString("TaskType", "PullUpload");
            json.WriteString("Status", status);
            json.WriteString("CreateTime", Iso(task.CreatedAt));
            json.WriteString("BeginProcessTime", task.StartedAt is { } started ? Iso(started) : "");
            json.WriteString("FinishTime", task.FinishedAt is { } finished ? Iso(finished) : "");
            json.WriteStartObject("PullUploadTask");
            json.WriteString("TaskId", task.Id);
            json.WriteString("Status", status);
            var (errCode, message) = PullUploadHandler.ErrorOf(task);
            json.WriteNumber("ErrCode", errCode);
            json.WriteString("Message", message);
            json.WriteString("FileId", task.State == TaskState.Succeeded ? payload.FileId : "");
            json.WriteString("FileUrl", task.State == TaskState.Succeeded ? FileUrl(payload) : "");
            json.WriteString("CoverUrl", task.State == TaskState.Succeeded && payload.CoverKey is { } cover ? FileUrl(payload with { Key = cover }) : "");
            json.WriteNumber("Progress", task.Percent);
            json.WriteStartObject("MediaBasicInfo");
            json.WriteString("Name", payload.Request.MediaName ?? Path.GetFileNameWithoutExtension(FileName(payload.Request)));
            json.WriteString("Type", mediaType ?? "");
            json.WriteNumber("Size", task.Size ?? 0);
            json.WriteString("CreateTime", Iso(task.CreatedAt));
            json.WriteString("ExpireTime", payload.Request.ExpireTime is { } expire ? expire.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "9999-12-31T23:59:59Z");
            json.WriteNumber("ClassId", payload.Request.ClassId ?? 0);
            json.WriteString("StorageRegion", payload.Request.StorageRegion ?? "");
            json.WriteString("MediaUrl", payload.Request.MediaUrl);
            json.WriteString("SourceContext", payload.Request.SourceContext ?? "");
            json.WriteEndObject();
            json.WriteString("ProcedureTaskId", "");
            json.WriteString("Procedure", payload.Request.Procedure ?? "");
            json.WriteString("SessionContext", payload.Request.SessionContext ?? "");
            json.WriteString("SessionId", payload.Request.SessionId ?? "");
            json.WriteString("ExtInfo", payload.Request.ExtInfo ?? "");
            json.WriteNumber("TasksPriority", payload.Request.TasksPriority);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>The absolute data-endpoint URL of a stored object, presigned (7 days) when its bucket is not public-read.</summary>
    private string FileUrl(PullUploadPayload payload)
    {
        var url = new Uri($"{binding.DataUrl}/{payload.Bucket}{OriginRequestPlan.EncodePath("/" + payload.Key)}");
        if (buckets.Find(payload.Bucket) is { PublicRead: true } || credentials.Find(payload.SecretId) is not { } credential)
        {
            return url.ToString();
        }
        return CosSignature.Presign(url, credential.SecretId, credential.SecretKey, time.GetUtcNow(), TimeSpan.FromDays(7)).ToString();
    }

    private static string FileName(PullUploadRequest request)
    {
        var fromUrl = Uri.TryCreate(request.MediaUrl, UriKind.Absolute, out var uri) ? Uri.UnescapeDataString(uri.AbsolutePath[(uri.AbsolutePath.LastIndexOf('/') + 1)..]) : "";
        var extension = PullUploadRequest.Extension(request.MediaUrl) ?? request.KnownMediaType;
        if (request.MediaName is { Length: > 0 } name)
        {
            return extension is not null && !name.EndsWith("." + extension, StringComparison.OrdinalIgnoreCase) ? $"{name}.{extension}" : name;
        }
        return fromUrl.Length > 0 ? fromUrl : "media" + (extension is null ? "" : "." + extension);
    }

    /// <summary>A VOD-style FileId: 19 decimal digits.</summary>
    private static string NewFileId() => (5_000_000_000_000_000_000UL + (RandomNumberGenerator.GetBytes(8) is var b ? BitConverter.ToUInt64(b) % 4_000_000_000_000_000_000UL : 0)).ToString(CultureInfo.InvariantCulture);

    private static string Iso(long unixMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static Task ErrorAsync(HttpContext context, string requestId, string code, string message) => WriteAsync(context, requestId, json =>
    {
        json.WriteStartObject("Error");
        json.WriteString("Code", code);
        json.WriteString("Message", message);
        json.WriteEndObject();
    });

    private static Task WriteAsync(HttpContext context, string requestId, Action<Utf8JsonWriter> response) => JsonAnswer.WriteAsync(context, 200, json =>
    {
        json.WriteStartObject("Response");
        response(json);
        json.WriteString("RequestId", requestId);
        json.WriteEndObject();
    });
}
