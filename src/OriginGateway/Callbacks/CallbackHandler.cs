using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OriginGateway.Egress;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Tasks;

namespace OriginGateway.Callbacks;

/// <summary>
/// Delivers a task's callback (kind <c>callback</c>): a signed JSON POST through the egress guard,
/// retried with backoff until a 2xx or the attempts run out; the delivery state is written on the
/// task the callback reports.
/// </summary>
internal sealed class CallbackHandler(OriginHttpClient client, EgressGuard guard, ITaskStore store, CallbackOptions options, GatewayMetrics metrics, TimeProvider time) : ITaskHandler
{
    public const string TaskKind = TaskRecord.CallbackKind;

    public string Kind => TaskKind;

    public RetryPolicy Retry { get; } = new(options.MaxAttempts, options.RetryBase, options.RetryCap);

    /// <summary>A callback task that POSTs <paramref name="body"/> to <paramref name="url"/> for the task <paramref name="parent"/>.</summary>
    public static NewTask Create(TaskRecord parent, Uri url, byte[] body)
    {
        var payload = JsonSerializer.Serialize(new CallbackPayload(url.OriginalString, Encoding.UTF8.GetString(body)), CallbackJsonContext.Default.CallbackPayload);
        return new NewTask(TaskKind, parent.Bucket, parent.Key, url.Authority, 10, payload, ParentId: parent.Id);
    }

    public async Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var task = run.Task;
        var payload = JsonSerializer.Deserialize(task.Payload, CallbackJsonContext.Default.CallbackPayload)!;
        var outcome = await DeliverAsync(payload, cancellationToken).ConfigureAwait(false);
        var state = outcome.Succeeded ? "delivered" : outcome.Transient && task.Attempts < task.MaxAttempts ? "pending" : "failed";
        metrics.Callback(state == "pending" ? "retry" : state);
        if (task.ParentId is { } parent)
        {
            await store.SetCallbackAsync(parent, state, task.Attempts, outcome.Succeeded ? null : outcome.Message, cancellationToken).ConfigureAwait(false);
        }
        return outcome;
    }

    private async Task<TaskOutcome> DeliverAsync(CallbackPayload payload, CancellationToken cancellationToken)
    {
        if (TaskUrl.Parse(payload.Url, schemeOptional: false, out var error) is not { } url)
        {
            return TaskOutcome.Permanent("InvalidCallbackUrl", "The callback URL " + error + ".");
        }
        if (guard.CheckClientUrl(url) is { } refused)
        {
            return TaskOutcome.Permanent(OriginFailure.EgressDenied, "The callback URL is not allowed: " + refused + ".");
        }
        var body = Encoding.UTF8.GetBytes(payload.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.UserAgent.ParseAdd("OriginGateway-Callback/1");
        if (options.Secret.Length > 0)
        {
            request.Headers.TryAddWithoutValidation(CallbackSignature.HeaderName, CallbackSignature.Create(options.Secret, time.GetUtcNow().ToUnixTimeSeconds(), body));
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await client.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return status is >= 200 and < 300
                ? TaskOutcome.Success(0, "")
                : TaskOutcome.Retry("CallbackRefused", $"The receiver answered {status}.");
        }
        catch (Exception e) when (EgressDeniedException.IsDenial(e, out var denial))
        {
            return TaskOutcome.Permanent(OriginFailure.EgressDenied, "The callback URL is not allowed: " + denial);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TaskOutcome.Retry("CallbackTimeout", $"The receiver did not answer within {options.Timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e)
        {
            return TaskOutcome.Retry("CallbackUnreachable", "The receiver could not be reached: " + e.Message);
        }
    }
}

internal sealed record CallbackPayload(string Url, string Body);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CallbackPayload))]
internal sealed partial class CallbackJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
