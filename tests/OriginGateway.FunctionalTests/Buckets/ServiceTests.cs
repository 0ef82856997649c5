using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Buckets;

/// <summary><c>GET /</c> on the service endpoint: ListAllMyBuckets for the caller's buckets.</summary>
public sealed class ServiceTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private async Task<(HttpStatusCode Status, XElement Body)> ListAsync(string host, string query = "", bool sign = true, string secretId = GatewayProcess.DevSecretId, string secretKey = GatewayProcess.DevSecretKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway.DataUrl, "/" + query));
        request.Headers.Host = host;
        var response = await Gateway.Client.SendAsync(sign ? request.Sign(secretId, secretKey) : request);
        return (response.StatusCode, XElement.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static List<string> Names(XElement result) => result.Element("Buckets")!.Elements("Bucket").Select(b => b.Element("Name")!.Value).ToList();

    [Theory]
    [InlineData("service.cos.myqcloud.com")]
    [InlineData("cos.ap-guangzhou.myqcloud.com")]
    public async Task ServiceHost_ListsTheBucketsTheCredentialMayUse(string host)
    {
        var (status, all) = await ListAsync(host);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ListAllMyBucketsResult", all.Name.LocalName);
        Assert.Equal([GatewayProcess.DefaultBucket, GatewayFixture.PrivateBucket], Names(all));
        var privateBucket = all.Element("Buckets")!.Elements("Bucket").Single(b => b.Element("Name")!.Value == GatewayFixture.PrivateBucket);
        Assert.Equal("ap-guangzhou", privateBucket.Element("Location")!.Value);
        Assert.True(DateTimeOffset.TryParse(privateBucket.Element("CreationDate")!.Value, CultureInfo.InvariantCulture, out _));
        Assert.Equal(GatewayProcess.DevSecretId, all.Element("Owner")!.Element("ID")!.Value);

        var (_, limited) = await ListAsync(host, secretId: GatewayFixture.LimitedSecretId, secretKey: GatewayFixture.LimitedSecretKey);
        Assert.Equal([GatewayFixture.PrivateBucket], Names(limited));

        var (denied, error) = await ListAsync(host, sign: false);
        Assert.Equal(HttpStatusCode.Forbidden, denied);
        Assert.Equal("AccessDenied", error.Element("Code")!.Value);
    }

    [Fact]
    public async Task Region_MaxKeysAndMarker_NarrowAndPage()
    {
        Assert.Equal([GatewayProcess.DefaultBucket, GatewayFixture.PrivateBucket], Names((await ListAsync("service.cos.myqcloud.com", "?region=ap-guangzhou")).Body));
        Assert.Empty(Names((await ListAsync("service.cos.myqcloud.com", "?region=ap-beijing")).Body));

        var (_, first) = await ListAsync("service.cos.myqcloud.com", "?max-keys=1");
        Assert.Equal([GatewayProcess.DefaultBucket], Names(first));
        Assert.Equal("true", first.Element("IsTruncated")!.Value);
        var (_, second) = await ListAsync("service.cos.myqcloud.com", "?max-keys=1&marker=" + first.Element("NextMarker")!.Value);
        Assert.Equal([GatewayFixture.PrivateBucket], Names(second));
        Assert.Equal("false", second.Element("IsTruncated")!.Value);

        var (bad, error) = await ListAsync("service.cos.myqcloud.com", "?max-keys=x");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("InvalidArgument", error.Element("Code")!.Value);
    }

    [Fact]
    public async Task OtherHosts_StillListTheDefaultBucket_AndPathStyleItsBucket()
    {
        var (status, listing) = await ListAsync(Gateway.DataUrl.Authority);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ListBucketResult", listing.Name.LocalName);
        Assert.Equal(GatewayProcess.DefaultBucket, listing.Element("Name")!.Value);

        var (pathStatus, pathListing) = await ListAsync("service.cos.myqcloud.com", GatewayFixture.PrivateBucket + "/");
        Assert.Equal(HttpStatusCode.OK, pathStatus);
        Assert.Equal(GatewayFixture.PrivateBucket, pathListing.Element("Name")!.Value);
    }

    [Fact]
    public async Task OfficialNodeSdk_GetService_WithoutADefaultBucket()
    {
        NodeScript.RequirePackage("cos-nodejs-sdk-v5");
        await using var gateway = await GatewayProcess.StartAsync(["--DefaultBucket=", $"--Buckets:1:Name={GatewayFixture.PrivateBucket}", "--Buckets:1:Region=ap-guangzhou"]);

        var (exit, stdout, stderr) = await NodeScript.RunAsync("cos-service-check.js",
            gateway.DataPort.ToString(CultureInfo.InvariantCulture), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey);

        Assert.True(exit == 0, $"the SDK script failed:\n{stderr}\n{stdout}\n{gateway.Output}");
        using var result = JsonDocument.Parse(stdout);
        Assert.Equal(200, result.RootElement.GetProperty("statusCode").GetInt32());
        Assert.Equal([GatewayProcess.DefaultBucket, GatewayFixture.PrivateBucket],
            result.RootElement.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("Name").GetString()));
        Assert.Equal("ap-guangzhou", result.RootElement.GetProperty("buckets")[1].GetProperty("Location").GetString());
    }
}
