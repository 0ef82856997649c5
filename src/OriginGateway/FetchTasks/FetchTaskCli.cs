using System.CommandLine;
using System.Text;
using System.Text.Json;
using OriginGateway.Security;

namespace OriginGateway.FetchTasks;

/// <summary>
/// <c>tasks submit|status|cancel</c>: the COS fetch-task API of a running gateway, from the command line.
/// Requests are COS-signed with <c>--secret-id</c>/<c>--secret-key</c> (or <c>ORIGIN_GATEWAY_SECRET_ID</c> /
/// <c>ORIGIN_GATEWAY_SECRET_KEY</c>; the development credential when neither is given); the answer's JSON is printed.
/// </summary>
internal static class FetchTaskCli
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var gateway = new Option<string>("--gateway") { Description = "The gateway's control endpoint.", DefaultValueFactory = _ => "http://127.0.0.1:8081" };
        var bucket = new Option<string>("--bucket") { Description = "The bucket (name-APPID).", DefaultValueFactory = _ => "examplebucket-1250000000" };
        var (secretId, secretKey) = SignCli.CredentialOptions();

        var url = new Option<string>("--url") { Description = "The URL to pull (http or https; a scheme-less URL means http).", Required = true };
        var key = new Option<string>("--key") { Description = "The object key to store it under.", Required = true };
        var md5 = new Option<string?>("--md5") { Description = "Expected MD5 (32 hex digits): a different body is not stored." };
        var onKeyExist = new Option<string?>("--on-key-exist") { Description = "'override' (the default: replace the stored object) or 'ignore' (keep it) when the key exists." };
        onKeyExist.AcceptOnlyFromAmong("override", "ignore");
        var successCallback = new Option<string?>("--success-callback-url") { Description = "Where to POST the signed result when the task succeeds." };
        var failureCallback = new Option<string?>("--failure-callback-url") { Description = "Where to POST the signed result when it fails." };
        var submit = new Command("submit", "Queue a fetch task: the gateway pulls --url into --key of --bucket, with retries. Prints the task id.")
        {
            url, key, md5, onKeyExist, successCallback, failureCallback,
        };
        submit.SetAction((result, cancellation) =>
        {
            var body = new Dictionary<string, string>
            {
                ["Url"] = result.GetValue(url)!,
                ["Key"] = result.GetValue(key)!,
            };
            AddIfSet(body, "MD5", result.GetValue(md5));
            AddIfSet(body, "OnKeyExist", result.GetValue(onKeyExist));
            AddIfSet(body, "SuccessCallbackUrl", result.GetValue(successCallback));
            AddIfSet(body, "FailureCallbackUrl", result.GetValue(failureCallback));
            return SendAsync(result, HttpMethod.Post, "", JsonSerializer.Serialize(body, FetchTaskJsonContext.Default.DictionaryStringString), cancellation);
        });

        var taskId = new Argument<string>("taskid") { Description = "The id 'tasks submit' printed." };
        var status = new Command("status", "Show a task: state, bytes done and total, result, callback delivery.") { taskId };
        status.SetAction((result, cancellation) => SendAsync(result, HttpMethod.Get, result.GetValue(taskId)!, null, cancellation));
        var cancelId = new Argument<string>("taskid") { Description = "The id 'tasks submit' printed." };
        var cancel = new Command("cancel", "Cancel a queued or running task; nothing it pulled is stored.") { cancelId };
        cancel.SetAction((result, cancellation) => SendAsync(result, HttpMethod.Delete, result.GetValue(cancelId)!, null, cancellation));

        var tasks = new Command("tasks", "COS fetch tasks on a running gateway (its control endpoint, --gateway).") { submit, status, cancel };
        foreach (var option in new Option[] { gateway, bucket, secretId, secretKey })
        {
            option.Recursive = true;
            tasks.Options.Add(option);
        }
        return tasks;

        async Task<int> SendAsync(ParseResult result, HttpMethod method, string path, string? json, CancellationToken cancellation)
        {
            if (!Uri.TryCreate(result.GetValue(gateway), UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            {
                await error.WriteLineAsync("--gateway must be an http(s) URL, e.g. http://127.0.0.1:8081").ConfigureAwait(false);
                return 2;
            }
            var (id, secret) = SignCli.Credential(result.GetValue(secretId), result.GetValue(secretKey));
            var decodedPath = "/" + result.GetValue(bucket) + "/" + path;
            var target = new Uri(baseUri, "/" + Uri.EscapeDataString(result.GetValue(bucket)!) + "/" + Uri.EscapeDataString(path));
            using var request = new HttpRequestMessage(method, target);
            var headers = new List<KeyValuePair<string, string>> { new("host", target.Authority) };
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
                headers.Add(new("content-type", request.Content.Headers.ContentType!.ToString()));
            }
            var now = DateTimeOffset.UtcNow;
            request.Headers.TryAddWithoutValidation("Authorization", CosSignature.Authorization(id, secret, now, now.AddMinutes(10), method.Method, decodedPath, [], headers));
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                using var response = await client.SendAsync(request, cancellation).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
                await output.WriteLineAsync(text).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (HttpRequestException e)
            {
                await error.WriteLineAsync($"Cannot reach the gateway at {baseUri}: {e.Message}").ConfigureAwait(false);
                return 3;
            }
        }
    }

    private static void AddIfSet(Dictionary<string, string> body, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            body[name] = value;
        }
    }
}
