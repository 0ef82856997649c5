using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>Tencent's official cos-nodejs-sdk-v5 3.x, pointed at the gateway, works unchanged.</summary>
public sealed class CosNodeSdkTests
{
    [Fact]
    public async Task OfficialNodeSdk_ObjectsAndOriginConfiguration()
    {
        NodeScript.RequirePackage("cos-nodejs-sdk-v5");
        await using var gateway = await GatewayProcess.StartAsync();

        var (exit, stdout, stderr) = await NodeScript.RunAsync("cos-sdk-check.js",
            gateway.DataPort.ToString(System.Globalization.CultureInfo.InvariantCulture), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket);

        Assert.True(exit == 0, $"the SDK script failed:\n{stderr}\n{stdout}\n{gateway.Output}");
        using var result = JsonDocument.Parse(stdout);
        var root = result.RootElement;
        var key = root.GetProperty("key").GetString()!;
        Assert.Equal(200, root.GetProperty("headStatus").GetInt32());
        Assert.Equal("sdk", root.GetProperty("headMeta").GetString());
        Assert.Equal(200, root.GetProperty("getStatus").GetInt32());
        Assert.True(root.GetProperty("bodyMatches").GetBoolean());
        Assert.True(root.GetProperty("md5Matches").GetBoolean());
        Assert.Equal([key], root.GetProperty("listedKeys").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(200, root.GetProperty("putOriginStatus").GetInt32());
        Assert.Equal(200, root.GetProperty("getOriginStatus").GetInt32());
        var rule = root.GetProperty("getOrigin")[0];
        Assert.Equal("Mirror", rule.GetProperty("OriginType").GetString());
        Assert.Equal("origin.example.com:8080", rule.GetProperty("OriginInfo").GetProperty("HostInfo").GetProperty("HostName").GetString());
        Assert.Equal(204, root.GetProperty("deleteOriginStatus").GetInt32());
        Assert.Equal("NoSuchOriginConfiguration", root.GetProperty("afterDelete").GetString());
        Assert.Equal(204, root.GetProperty("deleteStatus").GetInt32());
        Assert.Equal(404, root.GetProperty("afterDeleteObject").GetInt32());
    }
}
