using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Buckets;
using OriginGateway.Cors;
using OriginGateway.Observability;
using OriginGateway.Protocol;
using OriginGateway.Rules;
using OriginGateway.Security;
using OriginGateway.Tasks;

namespace OriginGateway.Admin;

/// <summary>
/// <c>/admin</c> on the control endpoint (<c>04-operations.md</c> §4.6): one static page and its JSON API —
/// the buckets the logged-in credential may use, each bucket's rules as a table, the explain box, the
/// latest tasks with their progress, the latest origin-pull decisions and headline figures.
/// Everything but the page and the login answers 401 without a session.
/// </summary>
internal static class AdminEndpoints
{
    private const int Listed = 50;

    private static readonly string[] ReadActions = ["hit", "mirror", "proxy", "redirect", "miss"];

    public static void MapAdmin(this IEndpointRouteBuilder routes)
    {
        var services = routes.ServiceProvider;
        var session = services.GetRequiredService<AdminSession>();
        var buckets = services.GetRequiredService<BucketRegistry>();
        var tasks = services.GetRequiredService<ITaskStore>();
        var decisions = services.GetRequiredService<RecentDecisions>();
        var metrics = services.GetRequiredService<GatewayMetrics>();
        var history = services.GetRequiredService<TrafficHistory>();
        var origins = services.GetRequiredService<OriginConfigurationService>();
        var cors = services.GetRequiredService<CorsService>();
        var page = LoadPage();

        routes.MapGet("/admin", context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return context.Response.Body.WriteAsync(page).AsTask();
        });

        routes.MapPost("/admin/api/login", async context =>
        {
            Login? login = null;
            try
            {
                login = await JsonSerializer.DeserializeAsync(context.Request.Body, AdminJsonContext.Default.Login, context.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Answered below.
            }
            if (login is not { SecretId: { Length: > 0 } id, SecretKey: { Length: > 0 } key } || session.LogIn(context, id, key) is not { } credential)
            {
                await JsonAnswer.WriteAsync(context, 401, json => json.WriteString("error", "Wrong SecretId or SecretKey.")).ConfigureAwait(false);
                return;
            }
            await JsonAnswer.WriteAsync(context, 200, json => json.WriteString("secretId", credential.SecretId)).ConfigureAwait(false);
        });

        routes.MapPost("/admin/api/logout", (HttpContext context) =>
        {
            AdminSession.LogOut(context);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });

        routes.MapGet("/admin/api/overview", context => WithSession(context, async credential =>
        {
            var visible = buckets.All.Where(b => credential.MayUse(b.Name)).OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
            var objects = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var bucket in visible)
            {
                objects[bucket.Name] = (await bucket.Store.ListAsync(new Storage.ListRequest("", null, "", 1001), context.RequestAborted).ConfigureAwait(false)).Contents.Count;
            }
            await JsonAnswer.WriteAsync(context, 200, json =>
            {
                json.WriteString("secretId", credential.SecretId);
                json.WriteStartArray("buckets");
                foreach (var bucket in visible)
                {
                    json.WriteStartObject();
                    json.WriteString("name", bucket.Name);
                    json.WriteString("region", bucket.Region);
                    json.WriteBoolean("publicRead", bucket.PublicRead);
                    json.WriteBoolean("publicList", bucket.PublicList);
                    json.WriteNumber("rules", origins.RulesOf(bucket).Rules.Count);
                    json.WriteBoolean("cors", cors.ConfigurationOf(bucket) is not null);
                    json.WriteNumber("objects", objects[bucket.Name]);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                WriteFigures(json, metrics.Totals(), name => credential.MayUse(name));
            }).ConfigureAwait(false);
        }));

        routes.MapGet("/admin/api/buckets/{bucket}/rules", (HttpContext context, string bucket) => WithBucket(context, bucket, b => JsonAnswer.WriteAsync(context, 200, json =>
        {
            json.WriteStartArray("rules");
            foreach (var rule in origins.RulesOf(b).Rules)
            {
                WriteRule(json, rule);
            }
            json.WriteEndArray();
        })));

        routes.MapGet("/admin/api/buckets/{bucket}/explain", (HttpContext context, string bucket) => WithBucket(context, bucket, b =>
        {
            var key = context.Request.Query["key"].ToString();
            if (key.Length == 0 || KeyDecoding.Check(key) != KeyStatus.Valid)
            {
                return JsonAnswer.WriteAsync(context, 400, json => json.WriteString("error", "Give a valid object key."));
            }
            var scheme = context.Request.Query["scheme"].ToString() is "https" ? "https" : "http";
            var query = context.Request.Query["query"].ToString();
            var explanation = OriginExplanation.Explain(origins.RulesOf(b), key, scheme, query.Length > 0 ? query : null, new HeaderDictionary());
            context.Response.ContentType = "application/json; charset=utf-8";
            return context.Response.Body.WriteAsync(explanation).AsTask();
        }));

        routes.MapGet("/admin/api/tasks", context => WithSession(context, async credential =>
        {
            var visible = buckets.All.Where(b => credential.MayUse(b.Name)).Select(b => b.Name).ToList();
            var recent = await tasks.RecentAsync(Listed, visible, context.RequestAborted).ConfigureAwait(false);
            await JsonAnswer.WriteAsync(context, 200, json =>
            {
                json.WriteStartArray("tasks");
                foreach (var task in recent)
                {
                    json.WriteStartObject();
                    json.WriteString("id", task.Id);
                    json.WriteString("kind", task.Kind);
                    json.WriteString("bucket", task.Bucket);
                    json.WriteString("key", task.Key);
                    json.WriteString("state", TaskStates.ToText(task.State));
                    json.WriteNumber("percent", task.Percent);
                    json.WriteNumber("bytesDone", task.BytesDone);
                    if (task.BytesTotal is { } total)
                    {
                        json.WriteNumber("bytesTotal", total);
                    }
                    json.WriteNumber("attempts", task.Attempts);
                    json.WriteString("created", DateTimeOffset.FromUnixTimeMilliseconds(task.CreatedAt).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                    if (task.ResultCode is { } code)
                    {
                        json.WriteString("error", code);
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            });
        }));

        routes.MapGet("/admin/api/decisions", context => WithSession(context, credential => JsonAnswer.WriteAsync(context, 200, json =>
        {
            json.WriteStartArray("decisions");
            foreach (var d in decisions.Latest(Listed, credential.MayUse))
            {
                json.WriteStartObject();
                json.WriteString("time", d.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("bucket", d.Bucket);
                json.WriteString("key", d.Key);
                json.WriteNumber("rule", d.Rule);
                json.WriteString("action", d.Action);
                json.WriteString("origin", d.OriginHost);
                json.WriteNumber("status", d.Status);
                json.WriteNumber("bytes", d.Bytes);
                json.WriteNumber("ms", Math.Round(d.DurationMs, 1));
                json.WriteString("requestId", d.RequestId);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        })));

        // The plots: the last hour minute by minute (the last minute runs up to now).
        routes.MapGet("/admin/api/history", context => WithSession(context, credential => JsonAnswer.WriteAsync(context, 200, json =>
        {
            json.WriteStartArray("actions");
            foreach (var action in TrafficHistory.Actions)
            {
                json.WriteStringValue(action);
            }
            json.WriteEndArray();
            json.WriteStartArray("minutes");
            foreach (var minute in history.Recent(credential.MayUse))
            {
                json.WriteStartObject();
                json.WriteString("start", minute.Start.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("end", minute.End.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteStartObject("requests");
                foreach (var (action, count) in minute.Requests)
                {
                    json.WriteNumber(action, count);
                }
                json.WriteEndObject();
                json.WriteNumber("originRequests", minute.OriginRequests);
                WriteNumberOrNull(json, "originLatencyP50Ms", minute.OriginLatencyP50Ms);
                WriteNumberOrNull(json, "originLatencyP99Ms", minute.OriginLatencyP99Ms);
                json.WriteNumber("bytesFromOrigins", minute.BytesFromOrigins);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        })));

        Task WithSession(HttpContext context, Func<Credential, Task> handle) =>
            session.Current(context) is { } credential
                ? handle(credential)
                : JsonAnswer.WriteAsync(context, 401, json => json.WriteString("error", "Log in first."));

        Task WithBucket(HttpContext context, string name, Func<Bucket, Task> handle) => WithSession(context, credential =>
            buckets.Find(name) is { } bucket && credential.MayUse(bucket.Name)
                ? handle(bucket)
                : JsonAnswer.WriteAsync(context, 404, json => json.WriteString("error", "No such bucket for this credential.")));
    }

    private static void WriteRule(Utf8JsonWriter json, CompiledRule rule)
    {
        json.WriteStartObject();
        json.WriteNumber("priority", rule.Priority);
        json.WriteString("action", rule.ActionName);
        json.WriteString("status", rule.Source.Condition?.HttpStatusCode ?? "404");
        json.WriteString("prefix", rule.Prefix);
        json.WriteString("protocol", rule.Protocol.ToString().ToUpperInvariant());
        json.WriteStartArray("hosts");
        foreach (var host in rule.Hosts)
        {
            json.WriteStartObject();
            json.WriteString("host", host.HostName);
            json.WriteNumber("weight", host.Weight);
            json.WriteStartArray("standbys");
            foreach (var standby in host.Standbys)
            {
                json.WriteStringValue(standby);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteBoolean("followQueryString", rule.FollowQueryString);
        json.WriteBoolean("followRedirection", rule.FollowRedirection);
        json.WriteBoolean("stores", rule.Stores);
        if (rule.Type == OriginType.Redirect || rule.ExplicitRedirectCode is not null)
        {
            json.WriteNumber("redirectCode", rule.RedirectCode);
        }
        json.WriteString("keyMapping", rule.FixedFilePath is { } fixedPath ? "fixed " + fixedPath
            : rule.NewPrefix is not null || rule.Suffix.Length > 0 ? $"{rule.NewPrefix ?? ""}<key>{rule.Suffix}" : "<key>");
        json.WriteEndObject();
    }

    /// <summary>Hit ratio, bytes from origins, failovers: read from the same series as <c>/metrics</c>.</summary>
    private static void WriteFigures(Utf8JsonWriter json, MetricTotals totals, Func<string, bool> bucketVisible)
    {
        var byAction = ReadActions.ToDictionary(a => a, a => totals.Requests.Where(r => r.Key.Action == a && bucketVisible(r.Key.Bucket)).Sum(r => r.Value));
        var reads = byAction.Values.Sum();
        json.WriteStartObject("figures");
        foreach (var (action, count) in byAction)
        {
            json.WriteNumber(action, count);
        }
        json.WriteNumber("hitRatio", reads > 0 ? Math.Round(byAction["hit"] / reads, 4) : 0);
        json.WriteNumber("bytesFromOrigin", totals.BytesFromOrigins);
        json.WriteNumber("bytesStored", totals.BytesStoredByBucket.Where(b => bucketVisible(b.Key)).Sum(b => b.Value));
        json.WriteNumber("failovers", totals.Failovers);
        json.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static byte[] LoadPage()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("OriginGateway.Admin.admin.html")
            ?? throw new InvalidOperationException("the admin page is not embedded");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}

/// <summary>The login body.</summary>
internal sealed record Login(string? SecretId, string? SecretKey);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Login))]
internal sealed partial class AdminJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
