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
        // The SDK's presigned URL: three fetches whole, the same URL with its signature altered refused, then whole again.
        var presigned = root.GetProperty("presigned").EnumerateArray().ToList();
        Assert.Equal([200, 200, 200, 403, 200], presigned.Select(p => p.GetProperty("status").GetInt32()));
        Assert.Equal([true, true, true, false, true], presigned.Select(p => p.GetProperty("intact").GetBoolean()));
        Assert.Equal("SignatureDoesNotMatch", presigned[3].GetProperty("code").GetString());
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

    [Theory]
    [InlineData("FileSystem")]
    [InlineData("S3")]
    public async Task OfficialNodeSdk_ObjectAclAndTagging_RoundTrip_WithoutTouchingTheBytes(string storage)
    {
        NodeScript.RequirePackage("cos-nodejs-sdk-v5");
        await using var s3 = storage == "S3" ? await S3Server.StartAsync("gateway") : null;
        await using var gateway = await GatewayProcess.StartAsync(S3Server.GatewaySettings(s3));

        var (exit, stdout, stderr) = await NodeScript.RunAsync("cos-acl-tagging-check.js",
            gateway.DataPort.ToString(System.Globalization.CultureInfo.InvariantCulture), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket);

        Assert.True(exit == 0, $"the SDK script failed:\n{stderr}\n{stdout}\n{gateway.Output}");
        using var result = JsonDocument.Parse(stdout);
        var root = result.RootElement;
        string Tags(string name) => string.Join(",", root.GetProperty(name).EnumerateArray().Select(t => t.GetProperty("Key").GetString() + "=" + t.GetProperty("Value").GetString()));
        Assert.Equal("2", root.GetProperty("taggingCount").GetString());
        Assert.Equal("stage=raw,team=media ops", Tags("tagsFromPut"));
        var steps = root.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(6, steps.Count);
        Assert.All(steps, s => Assert.True(s.GetProperty("intact").GetBoolean(), s.GetProperty("step").GetString()));
        Assert.Single(steps.Select(s => s.GetProperty("etag").GetString()).Distinct());
        Assert.Equal("private", root.GetProperty("privateAcl").GetProperty("ACL").GetString());
        Assert.Equal(1, root.GetProperty("privateAcl").GetProperty("grants").GetInt32());
        Assert.Equal(403, root.GetProperty("anonymousWhenPrivate").GetInt32());
        Assert.Equal("public-read", root.GetProperty("publicAcl").GetProperty("ACL").GetString());
        Assert.Equal("id=\"qcs::cam::uin/1001:uin/1001\"", root.GetProperty("publicAcl").GetProperty("GrantRead").GetString());
        Assert.Equal(200, root.GetProperty("anonymousWhenPublic").GetInt32());
        Assert.Equal("private", root.GetProperty("xmlAcl").GetProperty("ACL").GetString());
        Assert.Equal(["qcs::cam::uin/10002:uin/10002:READ"], root.GetProperty("xmlAcl").GetProperty("grants").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal("default", root.GetProperty("defaultAcl").GetString());
        Assert.Equal("k1=v1,k2=v2", Tags("tags"));
        Assert.Equal("", Tags("tagsAfterDelete"));
        Assert.Equal("InvalidArgument", root.GetProperty("badAcl").GetString());
        Assert.Equal("InvalidTag", root.GetProperty("tooManyTags").GetString());
        var missing = root.GetProperty("missing");
        Assert.Equal("NoSuchKey", missing.GetProperty("putObjectAcl").GetString());
        Assert.Equal("NoSuchKey", missing.GetProperty("getObjectTagging").GetString());
        Assert.Equal("NoSuchKey", missing.GetProperty("deleteObjectTagging").GetString());
        Assert.Equal("404", missing.GetProperty("headAfter").ToString());
    }
}
