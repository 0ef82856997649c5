using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Vod;

/// <summary>Tencent's official tencentcloud-sdk-nodejs-vod, pointed at the gateway over http, works unchanged (<c>02-tasks.md</c> §2.4).</summary>
public sealed class VodSdkTests
{
    [Fact]
    public async Task OfficialNodeSdk_PullUpload_DescribeTaskDetail_AndErrorCodes()
    {
        NodeScript.RequirePackage("tencentcloud-sdk-nodejs-vod");
        await using var origin = WireMockOrigin.Start();
        var body = RandomNumberGenerator.GetBytes(120_000);
        origin.Serve("/videos/clip.mp4", body, "video/mp4");
        await using var gateway = await GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32", "--Tasks:PollInterval=00:00:00.05"]);
        var sessionId = "session-" + Guid.NewGuid().ToString("N")[..8];

        var (exit, stdout, stderr) = await NodeScript.RunAsync("vod-sdk-check.js",
            gateway.ControlUrl.Port.ToString(CultureInfo.InvariantCulture), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey,
            $"http://{origin.Host}/videos/clip.mp4", sessionId);

        Assert.True(exit == 0, $"the SDK script failed:\n{stderr}\n{stdout}\n{gateway.Output}");
        using var result = JsonDocument.Parse(stdout);
        var root = result.RootElement;
        var detail = root.GetProperty("detail");
        Assert.Equal("PullUpload", detail.GetProperty("TaskType").GetString());
        Assert.Equal("FINISH", detail.GetProperty("Status").GetString());
        var task = detail.GetProperty("PullUploadTask");
        Assert.Equal(root.GetProperty("taskId").GetString(), task.GetProperty("TaskId").GetString());
        Assert.Equal(0, task.GetProperty("ErrCode").GetInt32());
        Assert.Equal(100, task.GetProperty("Progress").GetInt32());
        Assert.Equal("context from the sdk", task.GetProperty("SessionContext").GetString());
        Assert.Equal(sessionId, task.GetProperty("SessionId").GetString());
        var info = task.GetProperty("MediaBasicInfo");
        Assert.Equal("sdk-video", info.GetProperty("Name").GetString());
        Assert.Equal("mp4", info.GetProperty("Type").GetString());
        Assert.Equal(body.Length, info.GetProperty("Size").GetInt64());
        var fileId = task.GetProperty("FileId").GetString()!;
        Assert.Matches("^[0-9]{19}$", fileId);
        var fileUrl = new Uri(task.GetProperty("FileUrl").GetString()!);
        Assert.Equal(gateway.DataUrl.GetLeftPart(UriPartial.Authority), fileUrl.GetLeftPart(UriPartial.Authority));
        Assert.EndsWith($"/{GatewayProcess.DefaultBucket}/{fileId}/sdk-video.mp4", fileUrl.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal(body, await gateway.Client.GetByteArrayAsync(fileUrl));
        Assert.True(DateTimeOffset.TryParse(detail.GetProperty("FinishTime").GetString(), CultureInfo.InvariantCulture, out _));

        Assert.Equal("InvalidParameterValue.SessionId", root.GetProperty("repeatedSession").GetString());
        Assert.Equal("InvalidParameterValue.SessionIdTooLong", root.GetProperty("sessionIdTooLong").GetString());
        Assert.Equal("InvalidParameterValue.MediaStoragePath", root.GetProperty("storagePath").GetString());
        Assert.Equal("FailedOperation.MediaType", root.GetProperty("dash").GetString());
        Assert.Equal("InvalidParameterValue.MediaUrl", root.GetProperty("badMediaUrl").GetString());
        Assert.Equal("MissingParameter", root.GetProperty("missingMediaUrl").GetString());
        Assert.Equal("ResourceNotFound", root.GetProperty("unknownTask").GetString());
        Assert.Equal("AuthFailure.SignatureFailure", root.GetProperty("wrongKey").GetString());
        Assert.Equal("AuthFailure.SecretIdNotFound", root.GetProperty("unknownId").GetString());
    }
}
