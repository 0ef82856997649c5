using System.Net;
using System.Text;
using System.Text.Json;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>The COS fetch-task API of a gateway's control endpoint, COS-signed like an SDK would.</summary>
public sealed class FetchTaskClient(GatewayProcess gateway, string bucket = GatewayProcess.DefaultBucket)
{
    public sealed record Answer(HttpStatusCode Status, JsonElement Json, string RequestIdHeader)
    {
        public string Code => Json.GetProperty("code").ValueKind == JsonValueKind.Number ? Json.GetProperty("code").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture) : Json.GetProperty("code").GetString()!;

        public JsonElement Data => Json.GetProperty("data");

        public string TaskId => Data.GetProperty("taskid").GetString()!;

        public string State => Data.GetProperty("status").GetString()!;
    }

    public Uri Url(string path = "") => new(gateway.ControlUrl, bucket + "/" + path);

    public Task<Answer> SubmitAsync(object body, bool sign = true) => SubmitRawAsync(JsonSerializer.Serialize(body), sign);

    public async Task<Answer> SubmitRawAsync(string json, bool sign = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url()) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await SendAsync(sign ? request.Sign() : request);
    }

    public async Task<Answer> GetAsync(string taskId) => await SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(taskId)).Sign());

    public async Task<Answer> CancelAsync(string taskId) => await SendAsync(new HttpRequestMessage(HttpMethod.Delete, Url(taskId)).Sign());

    public async Task<Answer> SendAsync(HttpRequestMessage request)
    {
        using var response = await gateway.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        using var document = JsonDocument.Parse(text);
        return new Answer(response.StatusCode, document.RootElement.Clone(), response.Headers.GetValues("x-cos-request-id").Single());
    }

    /// <summary>Polls the task until <paramref name="until"/> holds (default: it finished), up to 30 s.</summary>
    public async Task<Answer> WaitAsync(string taskId, Func<Answer, bool>? until = null)
    {
        until ??= a => a.State is "TASK_SUCCESS" or "TASK_FAILED" or "TASK_CANCELLED";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var answer = await GetAsync(taskId);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            if (until(answer))
            {
                return answer;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"task {taskId} still {answer.Json} after 30 s:\n{gateway.Output}");
            }
            await Task.Delay(50);
        }
    }
}
