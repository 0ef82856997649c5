using System.Globalization;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Security;

/// <summary>
/// Clients on machines whose clocks are wrong, as <c>faketime</c> runs them: the official COS Node.js SDK and the AWS SDK
/// for JavaScript v3 are refused, correct their clocks from the refusal and succeed, as against COS and S3. A clock 20
/// minutes slow makes a COS signature window that has already ended, which the gateway answered "Request has expired."
/// — and COS's SDKs (Node.js and browser) take a refusal for a clock error only by COS's exact answers,
/// <c>RequestTimeTooSkewed</c> or <c>AccessDenied</c> "Request has expired": the SDK gave up instead of correcting.
/// </summary>
public sealed class ClockSkewTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync();

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    [Theory]
    [InlineData("-20m", -20)]
    [InlineData("+20m", 20)]
    public async Task CosAndS3Sdks_OnAMachineWhoseClockIsWrong_CorrectItFromTheRefusal_AndWriteAndRead(string offset, int minutes)
    {
        NodeScript.RequirePackage("cos-nodejs-sdk-v5");
        NodeScript.RequirePackage("@aws-sdk/client-s3");
        var faketime = ExternalTool.RequireAt("/usr/bin/faketime", "faketime");
        var node = ExternalTool.Require("node", "nodejs");
        var prefix = $"clock-skew/{Guid.NewGuid():N}";

        var (exit, stdout, stderr) = await ExternalTool.RunAsync(faketime,
            ["-f", offset, node, "clock-skew-check.js", _gateway.DataPort.ToString(CultureInfo.InvariantCulture), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket, prefix],
            environment: new Dictionary<string, string> { ["DONT_FAKE_MONOTONIC"] = "1" }, workingDirectory: NodeScript.Directory);

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        var root = seen.RootElement;
        // The script did run on the wrong clock.
        var clock = DateTimeOffset.Parse(root.GetProperty("clock").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange((clock - DateTimeOffset.UtcNow).TotalMinutes, minutes - 2, minutes + 2);
        foreach (var (sdk, body) in new[] { ("cos", "written with a wrong clock (COS)"), ("s3", "written with a wrong clock (S3)") })
        {
            var result = root.GetProperty(sdk);
            Assert.True(result.GetProperty("ok").GetBoolean(), $"{sdk}: {result}");
            Assert.Equal(body, result.GetProperty("body").GetString());
            // Each SDK now signs with a clock corrected by the offset its refusal showed.
            Assert.InRange(result.GetProperty("offsetMs").GetDouble() / 60_000, -minutes - 1, -minutes + 1);
        }
        Assert.Equal(2, root.GetProperty("s3").GetProperty("attempts").GetInt32());
    }
}
