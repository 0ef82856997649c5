using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Buckets;

/// <summary><c>PUT</c> with <c>x-cos-copy-source</c>: same bucket or another gateway bucket, metadata Copy or Replaced.</summary>
public sealed class CopyObjectTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private static string Unique(string name) => $"copy/{Guid.NewGuid():N}/{name}";

    private async Task<byte[]> PutSourceAsync(string key)
    {
        var body = RandomNumberGenerator.GetBytes(150_000);
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, key)) { Content = CosSigner.Bytes(body, "text/plain") };
        request.Headers.TryAddWithoutValidation("x-cos-meta-origin", "source");
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(request.Sign())).StatusCode);
        return body;
    }

    private async Task<HttpResponseMessage> CopyAsync(Uri destination, string source, string? directive = null, string secretId = GatewayProcess.DevSecretId, string secretKey = GatewayProcess.DevSecretKey, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, destination) { Content = new ByteArrayContent([]) };
        request.Headers.TryAddWithoutValidation("x-cos-copy-source", source);
        if (directive is not null)
        {
            request.Headers.TryAddWithoutValidation("x-cos-metadata-directive", directive);
        }
        configure?.Invoke(request);
        return await Gateway.Client.SendAsync(request.Sign(secretId, secretKey));
    }

    [Fact]
    public async Task SameBucket_CopyKeepsBytesAndMetadata_AndAnswersCopyObjectResult()
    {
        var source = Unique("src é.txt");
        var body = await PutSourceAsync(source);
        var target = Unique("dst.txt");

        var response = await CopyAsync(new Uri(Gateway.DataUrl, target), $"examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/{Uri.EscapeDataString(source).Replace("%2F", "/", StringComparison.Ordinal)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"", result.Element("ETag")!.Value);
        Assert.True(DateTimeOffset.TryParse(result.Element("LastModified")!.Value, out _));
        var copied = await Gateway.Client.GetAsync(new Uri(Gateway.DataUrl, target));
        Assert.Equal(body, await copied.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/plain", copied.Content.Headers.ContentType!.MediaType);
        Assert.Equal("source", copied.Headers.GetValues("x-cos-meta-origin").Single());
    }

    [Fact]
    public async Task Replaced_TakesTheRequestsMetadata_AndCopiesToAnotherBucket()
    {
        var source = Unique("src.bin");
        var body = await PutSourceAsync(source);
        var target = new Uri(Gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/{Unique("dst.bin")}");

        var response = await CopyAsync(target, "/" + GatewayProcess.DefaultBucket + "/" + source, "Replaced", configure: r =>
        {
            r.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-new");
            r.Headers.TryAddWithoutValidation("x-cos-meta-origin", "replaced");
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var copied = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, target).Sign());
        Assert.Equal(body, await copied.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/x-new", copied.Content.Headers.ContentType!.MediaType);
        Assert.Equal("replaced", copied.Headers.GetValues("x-cos-meta-origin").Single());
    }

    [Fact]
    public async Task Refusals()
    {
        var source = Unique("s.bin");
        await PutSourceAsync(source);
        var target = Unique("t.bin");
        var destination = new Uri(Gateway.DataUrl, target);

        Assert.Equal(HttpStatusCode.NotFound, (await CopyAsync(destination, $"/{GatewayProcess.DefaultBucket}/{source}.missing")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await CopyAsync(destination, $"/missing-1250000000/{source}")).StatusCode);
        // Buckets are unversioned: another version of the source does not exist (the current one is not copied in its place).
        var otherVersion = await CopyAsync(destination, $"/{GatewayProcess.DefaultBucket}/{source}?versionId=MTg0NDUxNTc1NjIzMTQ1MDAwODg");
        Assert.Equal(HttpStatusCode.NotFound, otherVersion.StatusCode);
        Assert.Contains("<Code>NoSuchVersion</Code>", await otherVersion.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await CopyAsync(destination, "no-key")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await CopyAsync(destination, $"/{GatewayProcess.DefaultBucket}/{source}", "Sometimes")).StatusCode);
        var onto = await CopyAsync(new Uri(Gateway.DataUrl, source), $"/{GatewayProcess.DefaultBucket}/{source}");
        Assert.Equal(HttpStatusCode.BadRequest, onto.StatusCode);
        Assert.Contains("<Code>InvalidRequest</Code>", await onto.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // A credential limited to the private bucket may not read the default bucket's source.
        var limited = await CopyAsync(new Uri(Gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/{Unique("x")}"), $"/{GatewayProcess.DefaultBucket}/{source}",
            secretId: GatewayFixture.LimitedSecretId, secretKey: GatewayFixture.LimitedSecretKey);
        Assert.Equal(HttpStatusCode.Forbidden, limited.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, destination))).StatusCode);
    }
}
