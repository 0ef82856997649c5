using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;
using OriginGateway.Egress;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Tasks;

namespace OriginGateway.Oms;

/// <summary>
/// OMS-style sync tasks on the control endpoint (<c>/v2/{project_id}/sync-tasks</c>, <c>02-tasks.md</c>
/// §2.5), authenticated with <c>X-Auth-Token</c>; errors <c>{"error_code":"OMS.xxxx","error_msg":"…"}</c>.
/// Keys arrive with create and start, live in <see cref="SyncKeys"/> only, and are never echoed.
/// </summary>
internal sealed class SyncTaskEndpoint(
    OmsOptions options,
    SyncTaskRepository repository,
    SyncKeys keys,
    SyncRunner runner,
    BucketRegistry buckets,
    CredentialStore credentials,
    EgressGuard guard,
    TimeProvider time)
{
    /// <summary>OMS cloud names accepted as aliases of S3 (any S3-compatible endpoint).</summary>
    private static readonly HashSet<string> S3Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "S3", "AWS", "Aliyun", "Tencent", "HuaweiCloud", "Qiniu", "QingCloud", "Baidu", "KingsoftCloud", "UCloud", "Azure", "Google",
    };

    /// <summary>The fields of a task that are text.</summary>
    private static readonly string[] TextFields =
    [
        "src_cloud_type", "src_endpoint", "src_region", "src_bucket", "src_prefix", "src_ak", "src_sk",
        "dst_bucket", "dst_prefix", "dst_ak", "dst_sk", "description", "source_cdn_authentication_key",
    ];

    /// <summary>OMS's bound on a task's description.</summary>
    public const int MaxDescriptionLength = 255;

    public async Task CreateAsync(HttpContext context, string projectId)
    {
        if (await BeginAsync(context, projectId).ConfigureAwait(false) is not { } body)
        {
            return;
        }
        if (FieldProblem(body) is { } problemWithAField)
        {
            await ErrorAsync(context, 400, "OMS.0001", problemWithAField).ConfigureAwait(false);
            return;
        }
        var cloudType = Text(body, "src_cloud_type");
        var sourceType = cloudType is null ? null : cloudType.Equals("URLList", StringComparison.OrdinalIgnoreCase) ? "URLList" : S3Aliases.Contains(cloudType) ? "S3" : null;
        if (sourceType is null)
        {
            await ErrorAsync(context, 400, "OMS.0001", "src_cloud_type must be S3 (or an OMS cloud name such as AWS, Aliyun, Tencent, HuaweiCloud, Qiniu) or URLList.").ConfigureAwait(false);
            return;
        }
        var endpoint = Text(body, "src_endpoint") ?? "";
        var dstBucket = Text(body, "dst_bucket") ?? "";
        if (sourceType == "S3" && (string.IsNullOrEmpty(Text(body, "src_bucket")) || endpoint.Length == 0))
        {
            await ErrorAsync(context, 400, "OMS.0001", "src_endpoint and src_bucket are required for an S3 source.").ConfigureAwait(false);
            return;
        }
        if (TaskUrl.Parse(sourceType == "S3" && !endpoint.Contains("://", StringComparison.Ordinal) ? "https://" + endpoint : endpoint, schemeOptional: false, out var urlError) is not { } endpointUrl)
        {
            await ErrorAsync(context, 400, "OMS.0001", "src_endpoint " + urlError + ".").ConfigureAwait(false);
            return;
        }
        if (guard.CheckClientUrl(endpointUrl) is { } refused)
        {
            await ErrorAsync(context, 400, "OMS.0001", "src_endpoint is not allowed: " + refused + ".").ConfigureAwait(false);
            return;
        }
        var interval = Number(body, "sync_interval") ?? 60;
        if (interval is < 1 or > 86_400 * 30)
        {
            await ErrorAsync(context, 400, "OMS.0001", "sync_interval must be 1 .. 2592000 seconds.").ConfigureAwait(false);
            return;
        }
        if (Keys(body, sourceType, dstBucket, out var problem) is not { } credentialsGiven)
        {
            await ErrorAsync(context, problem!.Value.Status, problem.Value.Code, problem.Value.Message).ConfigureAwait(false);
            return;
        }
        var created = runner.Now();
        var task = new SyncTask
        {
            Id = Guid.NewGuid().ToString("N"),
            ProjectId = projectId,
            SourceType = sourceType,
            SourceCloudType = cloudType!,
            SourceEndpoint = endpointUrl.OriginalString,
            SourceRegion = Text(body, "src_region") ?? "",
            SourceBucket = Text(body, "src_bucket") ?? "",
            SourcePrefix = Text(body, "src_prefix") ?? "",
            DestinationBucket = dstBucket,
            DestinationPrefix = Text(body, "dst_prefix") ?? "",
            Description = Text(body, "description") ?? "",
            MetadataMigration = body.TryGetProperty("enable_metadata_migration", out var m) && m.ValueKind == JsonValueKind.True,
            SyncInterval = (int)interval,
            Status = "SYNCHRONIZING",
            CreateTime = created,
            LastStartTime = created,
        };
        if (!await repository.InsertAsync(task, options.MaxTasksPerProject, runner.Owner, runner.OwnedUntil(), context.RequestAborted).ConfigureAwait(false))
        {
            await ErrorAsync(context, 400, "OMS.0006", $"A project may have at most {options.MaxTasksPerProject} sync tasks.").ConfigureAwait(false);
            return;
        }
        keys.Set(task.Id, credentialsGiven);
        await JsonAnswer.WriteAsync(context, 200, json => json.WriteString("id", task.Id)).ConfigureAwait(false);
    }

    public async Task StartAsync(HttpContext context, string projectId, string id)
    {
        if (await BeginAsync(context, projectId).ConfigureAwait(false) is not { } body)
        {
            return;
        }
        if (await repository.GetAsync(projectId, id, context.RequestAborted).ConfigureAwait(false) is not { } task)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }
        if (task.Status == "SYNCHRONIZING")
        {
            await ErrorAsync(context, 400, "OMS.0005", "The sync task is already synchronizing.").ConfigureAwait(false);
            return;
        }
        if (Keys(body, task.SourceType, task.DestinationBucket, out var problem) is not { } given)
        {
            await ErrorAsync(context, problem!.Value.Status, problem.Value.Code, problem.Value.Message).ConfigureAwait(false);
            return;
        }
        // Started once: two replicas asked at the same moment cannot both own it.
        if (!await repository.TryStartAsync(task.Id, runner.Owner, runner.OwnedUntil(), runner.Now(), context.RequestAborted).ConfigureAwait(false))
        {
            await ErrorAsync(context, 400, "OMS.0005", "The sync task is already synchronizing.").ConfigureAwait(false);
            return;
        }
        keys.Set(task.Id, given);
        await JsonAnswer.WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
    }

    public async Task StopAsync(HttpContext context, string projectId, string id)
    {
        if (await BeginAsync(context, projectId, readBody: false).ConfigureAwait(false) is null)
        {
            return;
        }
        if (await repository.GetAsync(projectId, id, context.RequestAborted).ConfigureAwait(false) is not { } task)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }
        await repository.StopAsync(task.Id, context.RequestAborted).ConfigureAwait(false);
        keys.Forget(task.Id);
        await JsonAnswer.WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
    }

    public async Task GetAsync(HttpContext context, string projectId, string id)
    {
        if (await BeginAsync(context, projectId, readBody: false).ConfigureAwait(false) is null)
        {
            return;
        }
        if (await repository.GetAsync(projectId, id, context.RequestAborted).ConfigureAwait(false) is not { } task)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }
        await JsonAnswer.WriteAsync(context, 200, json => Write(json, task)).ConfigureAwait(false);
    }

    public async Task ListAsync(HttpContext context, string projectId)
    {
        if (await BeginAsync(context, projectId, readBody: false).ConfigureAwait(false) is null)
        {
            return;
        }
        var query = context.Request.Query;
        if (!TryQueryNumber(query["limit"], 10, 1, 100, out var limit) || !TryQueryNumber(query["offset"], 0, 0, int.MaxValue, out var offset))
        {
            await ErrorAsync(context, 400, "OMS.0001", "limit must be 1..100 and offset 0 or more.").ConfigureAwait(false);
            return;
        }
        // OMS's two states, in any case; another word is a mistake to answer, not a filter that matches nothing.
        var status = query["status"].ToString().ToUpperInvariant();
        if (status is not ("" or "SYNCHRONIZING" or "STOPPED"))
        {
            await ErrorAsync(context, 400, "OMS.0001", "status must be SYNCHRONIZING or STOPPED.").ConfigureAwait(false);
            return;
        }
        var tasks = (await repository.ListAsync(projectId, context.RequestAborted).ConfigureAwait(false)).Where(t => status.Length == 0 || t.Status == status).ToList();
        await JsonAnswer.WriteAsync(context, 200, json =>
        {
            json.WriteStartArray("tasks");
            foreach (var task in tasks.Skip(offset).Take(limit))
            {
                json.WriteStartObject();
                Write(json, task);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("count", tasks.Count);
        }).ConfigureAwait(false);
    }

    public async Task DeleteAsync(HttpContext context, string projectId, string id)
    {
        if (await BeginAsync(context, projectId, readBody: false).ConfigureAwait(false) is null)
        {
            return;
        }
        if (await repository.GetAsync(projectId, id, context.RequestAborted).ConfigureAwait(false) is not { } task)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }
        if (task.Status == "SYNCHRONIZING")
        {
            await ErrorAsync(context, 400, "OMS.0005", "Stop the sync task before deleting it.").ConfigureAwait(false);
            return;
        }
        await repository.DeleteAsync(projectId, id, context.RequestAborted).ConfigureAwait(false);
        keys.Forget(id);
        await JsonAnswer.WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
    }

    public async Task EventsAsync(HttpContext context, string projectId, string id)
    {
        if (await BeginAsync(context, projectId).ConfigureAwait(false) is not { } body)
        {
            return;
        }
        if (await repository.GetAsync(projectId, id, context.RequestAborted).ConfigureAwait(false) is not { } task)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }
        if (!body.TryGetProperty("object_keys", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is < 1 or > 100
            || list.EnumerateArray().Any(k => k.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(k.GetString())))
        {
            await ErrorAsync(context, 400, "OMS.0001", "object_keys must be an array of 1 to 100 non-empty strings.").ConfigureAwait(false);
            return;
        }
        if (task.Status != "SYNCHRONIZING")
        {
            await ErrorAsync(context, 400, "OMS.0005", "The sync task is stopped; start it with its keys first.").ConfigureAwait(false);
            return;
        }
        // Every key is checked before any is queued: a refused request copies nothing.
        var objects = new List<SourceObject>();
        foreach (var key in list.EnumerateArray().Select(k => k.GetString()!))
        {
            if (SyncRunner.EventObject(task, key, out var refused) is not { } item)
            {
                await ErrorAsync(context, 400, "OMS.0001", $"object_keys[{objects.Count}] {refused} (a URL list's events name http or https URLs).").ConfigureAwait(false);
                return;
            }
            objects.Add(item);
        }
        var queued = await runner.CopyNowAsync(task, objects, context.RequestAborted).ConfigureAwait(false);
        await JsonAnswer.WriteAsync(context, 200, json => json.WriteNumber("queued", queued)).ConfigureAwait(false);
    }

    private static void Write(Utf8JsonWriter json, SyncTask task)
    {
        json.WriteString("sync_task_id", task.Id);
        json.WriteString("status", task.Status);
        json.WriteString("src_cloud_type", task.SourceCloudType);
        json.WriteString("src_endpoint", task.SourceEndpoint);
        json.WriteString("src_region", task.SourceRegion);
        json.WriteString("src_bucket", task.SourceBucket);
        json.WriteString("src_prefix", task.SourcePrefix);
        json.WriteString("dst_bucket", task.DestinationBucket);
        json.WriteString("dst_prefix", task.DestinationPrefix);
        json.WriteString("description", task.Description);
        json.WriteBoolean("enable_metadata_migration", task.MetadataMigration);
        json.WriteNumber("sync_interval", task.SyncInterval);
        json.WriteNumber("create_time", task.CreateTime);
        if (task.LastStartTime is { } started)
        {
            json.WriteNumber("last_start_time", started);
        }
        json.WriteNumber("object_listed_num", task.Listed);
        json.WriteNumber("object_synchronized_num", task.Copied);
        json.WriteNumber("object_skipped_num", task.Skipped);
        json.WriteNumber("object_failed_num", task.Failed);
        json.WriteNumber("object_synchronized_size", task.Bytes);
        if (task.LastError is { } error)
        {
            json.WriteString("last_error", error);
        }
    }

    /// <summary>The keys of a create or start body; the destination pair must be a credential the gateway accepts for the bucket.</summary>
    private SyncCredentials? Keys(JsonElement body, string sourceType, string destinationBucket, out (int Status, string Code, string Message)? problem)
    {
        problem = null;
        var srcAk = Text(body, "src_ak");
        var srcSk = Text(body, "src_sk");
        var dstAk = Text(body, "dst_ak");
        var dstSk = Text(body, "dst_sk");
        var cdn = Text(body, "source_cdn_authentication_key");
        if (sourceType == "S3" && (string.IsNullOrEmpty(srcAk) || string.IsNullOrEmpty(srcSk)))
        {
            problem = (400, "OMS.0001", "src_ak and src_sk are required for an S3 source.");
            return null;
        }
        if (string.IsNullOrEmpty(dstAk) || string.IsNullOrEmpty(dstSk))
        {
            problem = (400, "OMS.0001", "dst_ak and dst_sk are required.");
            return null;
        }
        if (new[] { srcAk, srcSk, dstAk, dstSk }.Any(k => k?.Length > 100) || cdn?.Length > 255)
        {
            problem = (400, "OMS.0001", "Access keys are at most 100 characters, the CDN key at most 255.");
            return null;
        }
        if (buckets.Find(destinationBucket) is not { } bucket)
        {
            problem = (400, "OMS.0001", "dst_bucket is not a bucket of this gateway.");
            return null;
        }
        if (credentials.Find(dstAk) is not { } credential
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(credential.SecretKey), Encoding.UTF8.GetBytes(dstSk))
            || !credential.MayUse(bucket.Name))
        {
            problem = (403, "OMS.0003", "dst_ak/dst_sk is not a credential this gateway accepts for dst_bucket.");
            return null;
        }
        return new SyncCredentials(srcAk, srcSk, dstAk, dstSk, string.IsNullOrEmpty(cdn) ? null : cdn);
    }

    /// <summary>Checks the token; returns the JSON body (an empty object when none is read), or null after answering an error.</summary>
    private async Task<JsonElement?> BeginAsync(HttpContext context, string projectId, bool readBody = true)
    {
        var token = context.Request.Headers["X-Auth-Token"].ToString();
        if (token.Length == 0 || !options.Tokens.TryGetValue(projectId, out var expected)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected)))
        {
            await ErrorAsync(context, 401, "OMS.0002", "X-Auth-Token is missing or not valid for this project.").ConfigureAwait(false);
            return null;
        }
        try
        {
            await runner.StoppedAtStartUp.WaitAsync(StartUpWait, time, context.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await ErrorAsync(context, 503, "OMS.0503", "The gateway is starting: the sync tasks of its previous run are not stopped yet (the database does not answer). Try again.").ConfigureAwait(false);
            return null;
        }
        if (!readBody)
        {
            return default(JsonElement);
        }
        var bytes = await BoundedRead.ReadAsync(context.Request.Body, FetchTasks.FetchTaskEndpoint.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (bytes is null)
        {
            await ErrorAsync(context, 400, "OMS.0001", "The body is larger than 1 MiB.").ConfigureAwait(false);
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                await ErrorAsync(context, 400, "OMS.0001", "The body must be a JSON object.").ConfigureAwait(false);
                return null;
            }
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            await ErrorAsync(context, 400, "OMS.0001", "The body is not valid JSON.").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// The first field of a new task that has the wrong JSON type or is out of its bounds, as the answer's message; null when
    /// all are right. A value of another type is refused rather than read as absent: <c>"sync_interval": "600"</c> or
    /// <c>"enable_metadata_migration": "true"</c> must not quietly become the default.
    /// </summary>
    private static string? FieldProblem(JsonElement body)
    {
        foreach (var name in TextFields)
        {
            if (body.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return $"{name} must be a string.";
            }
        }
        if (body.TryGetProperty("sync_interval", out var interval) && interval.ValueKind != JsonValueKind.Null
            && !(interval.ValueKind == JsonValueKind.Number && interval.TryGetInt64(out _)))
        {
            return "sync_interval must be a whole number of seconds.";
        }
        if (body.TryGetProperty("enable_metadata_migration", out var metadata) && metadata.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            return "enable_metadata_migration must be true or false.";
        }
        if (Text(body, "description") is { Length: > MaxDescriptionLength })
        {
            return $"description must be at most {MaxDescriptionLength} characters.";
        }
        if (Text(body, "dst_prefix") is { Length: > 0 } prefix && KeyDecoding.Check(prefix) != KeyStatus.Valid)
        {
            return $"dst_prefix must be at most {KeyDecoding.MaxKeyBytes} bytes of UTF-8 without control characters.";
        }
        return null;
    }

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static bool TryQueryNumber(Microsoft.Extensions.Primitives.StringValues value, int fallback, int min, int max, out int number)
    {
        number = fallback;
        return value.Count == 0 || (int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out number) && number >= min && number <= max);
    }

    /// <summary>How long a request waits at start-up for the tasks of the previous run to be stopped.</summary>
    private static readonly TimeSpan StartUpWait = TimeSpan.FromSeconds(5);

    private static Task NotFoundAsync(HttpContext context) => ErrorAsync(context, 404, "OMS.0004", "The sync task does not exist in this project.");

    public static Task ErrorAsync(HttpContext context, int status, string code, string message) => JsonAnswer.WriteAsync(context, status, json =>
    {
        json.WriteString("error_code", code);
        json.WriteString("error_msg", message);
    });

}
