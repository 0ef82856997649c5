using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OriginGateway.Vod;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>A TencentCloud API 3.0 caller for the gateway's VOD endpoint, signing as the official SDKs do.</summary>
public sealed class Tc3Client(GatewayProcess gateway, string secretId = GatewayProcess.DevSecretId, string secretKey = GatewayProcess.DevSecretKey)
{
    public string Service { get; init; } = "vod";

    public string Version { get; init; } = "2018-07-17";

    public TimeSpan ClockOffset { get; init; }

    /// <summary>Calls an action; returns the <c>Response</c> object (errors included: always HTTP 200).</summary>
    public async Task<JsonElement> CallAsync(string action, object body)
    {
        var json = JsonSerializer.Serialize(body);
        var timestamp = (DateTimeOffset.UtcNow + ClockOffset).ToUnixTimeSeconds();
        var date = DateTimeOffset.FromUnixTimeSeconds(timestamp).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        const string contentType = "application/json";
        var host = gateway.ControlUrl.Host;
        var canonical = $"POST\n/\n\ncontent-type:{contentType}\nhost:{host}\n\ncontent-type;host\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))}";
        var stringToSign = $"TC3-HMAC-SHA256\n{timestamp}\n{date}/{Service}/tc3_request\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var signature = Tc3Authenticator.Compute(secretKey, date, Service, stringToSign);
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway.ControlUrl) { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        request.Headers.TryAddWithoutValidation("Authorization", $"TC3-HMAC-SHA256 Credential={secretId}/{date}/{Service}/tc3_request, SignedHeaders=content-type;host, Signature={signature}");
        request.Headers.TryAddWithoutValidation("X-TC-Action", action);
        request.Headers.TryAddWithoutValidation("X-TC-Version", Version);
        request.Headers.TryAddWithoutValidation("X-TC-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        using var response = await gateway.Client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement.GetProperty("Response").Clone();
        Assert.False(string.IsNullOrEmpty(root.GetProperty("RequestId").GetString()));
        return root;
    }

    public static string? ErrorCode(JsonElement response) =>
        response.TryGetProperty("Error", out var error) ? error.GetProperty("Code").GetString() : null;

    /// <summary>Polls DescribeTaskDetail until FINISH (30 s).</summary>
    public async Task<JsonElement> WaitAsync(string taskId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var detail = await CallAsync("DescribeTaskDetail", new { TaskId = taskId });
            Assert.Null(ErrorCode(detail));
            if (detail.GetProperty("Status").GetString() == "FINISH")
            {
                return detail;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"task {taskId} not finished: {detail}\n{gateway.Output}");
            }
            await Task.Delay(50);
        }
    }
}
