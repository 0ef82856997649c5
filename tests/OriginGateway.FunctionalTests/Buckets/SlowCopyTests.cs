using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Buckets;

/// <summary>
/// Copies that take a while (a copy of gigabytes, a part copy on a slow disk). A gateway that keeps a slow answer alive
/// after 10 ms (<c>Limits:SlowAnswerKeepAlive</c>; 5 s by default), so that every copy here takes that path: the 200 and
/// the XML declaration go out at once, spaces follow, and the <c>CopyObjectResult</c> / <c>CopyPartResult</c> — or an
/// <c>Error</c> — ends the body, as S3 answers a long copy; clients with read timeouts shorter than the copy still copy.
/// </summary>
public sealed class SlowCopyTests(KeptAliveGatewayFixture fixture) : IClassFixture<KeptAliveGatewayFixture>
{
    private const int MiB = 1024 * 1024;

    private GatewayProcess Gateway => fixture.Gateway;

    private Uri Url(string key, string query = "") => fixture.Url(key, query);

    private static string Source(string key) => $"/{GatewayProcess.DefaultBucket}/{key}";

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HttpContent? content = null, Action<HttpRequestMessage>? configure = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) => fixture.SendAsync(method, uri, content, configure, completion);

    private async Task<byte[]> PutAsync(string key, int length)
    {
        var body = RandomNumberGenerator.GetBytes(length);
        using var put = await SendAsync(HttpMethod.Put, Url(key), CosSigner.Bytes(body));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return body;
    }

    private Task<byte[]?> ObjectAsync(string key) => fixture.ObjectAsync(key);

    private Task<HttpResponseMessage> CopyAsync(string key, string source, Action<HttpRequestMessage>? configure = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) =>
        SendAsync(HttpMethod.Put, Url(key), new ByteArrayContent([]), r =>
        {
            r.Headers.TryAddWithoutValidation("x-cos-copy-source", source);
            configure?.Invoke(r);
        }, completion);

    private static string? Code(string body) => KeptAliveGatewayFixture.Code(body);

    private static string ETag(byte[] body) => $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";

    [Fact]
    public async Task ASlowCopy_Is200AtOnce_KeptAliveWithSpaces_ThenItsResult()
    {
        var source = $"slow-copy/{Guid.NewGuid():N}/source.bin";
        var body = await PutAsync(source, 64 * MiB);
        var target = $"slow-copy/{Guid.NewGuid():N}/target.bin";

        using var response = await CopyAsync(target, Source(source));
        var answer = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Matches("^<\\?xml version=\"1.0\" encoding=\"UTF-8\"\\?>\n +<CopyObjectResult>", answer);
        Assert.Equal(ETag(body), XDocument.Parse(answer).Root!.Element("ETag")!.Value);
        Assert.Equal(body, await ObjectAsync(target));
    }

    [Fact]
    public async Task SlowPartCopies_AreKeptAlive_AndTheUploadCompletesWithTheirBytes()
    {
        var source = $"slow-part-copy/{Guid.NewGuid():N}/source.bin";
        var body = await PutAsync(source, 40 * MiB);
        var target = $"slow-part-copy/{Guid.NewGuid():N}/target.bin";
        using var initiated = await SendAsync(HttpMethod.Post, Url(target, "?uploads"), new ByteArrayContent([]));
        var uploadId = XElement.Parse(await initiated.Content.ReadAsStringAsync()).Element("UploadId")!.Value;

        var listed = new List<XElement>();
        foreach (var (number, first, last) in new[] { (1, 0, 32 * MiB - 1), (2, 32 * MiB, body.Length - 1) })
        {
            using var part = await SendAsync(HttpMethod.Put, Url(target, $"?partNumber={number}&uploadId={uploadId}"), new ByteArrayContent([]), r =>
            {
                r.Headers.TryAddWithoutValidation("x-cos-copy-source", Source(source));
                r.Headers.TryAddWithoutValidation("x-cos-copy-source-range", $"bytes={first}-{last}");
            });
            var answer = await part.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, part.StatusCode);
            // Begun (chunked, the declaration first) when the copy outlasted 10 ms; spaces follow every 10 ms it goes on.
            Assert.True(part.Headers.TransferEncodingChunked);
            Assert.Matches("^<\\?xml version=\"1.0\" encoding=\"UTF-8\"\\?>\n *<CopyPartResult>", answer);
            var etag = XDocument.Parse(answer).Root!.Element("ETag")!.Value;
            Assert.Equal(ETag(body[first..(last + 1)]), etag);
            listed.Add(new XElement("Part", new XElement("PartNumber", number), new XElement("ETag", etag)));
        }
        using var completed = await SendAsync(HttpMethod.Post, Url(target, $"?uploadId={uploadId}"), new StringContent(new XElement("CompleteMultipartUpload", listed).ToString()));
        var completion = await completed.Content.ReadAsStringAsync();

        Assert.True(completed.StatusCode == HttpStatusCode.OK && Code(completion) is null, completion);
        Assert.Equal(body, await ObjectAsync(target));
    }

    /// <summary>
    /// A copy that may create only (If-None-Match: *) finds the key empty when it starts; a client's PUT lands while it
    /// copies, after its 200 went out. The refusal comes as an Error in the body (what SDKs read a copy's 200 for), and
    /// the client's object is kept.
    /// </summary>
    [Fact]
    public async Task ACopyWhoseConditionFailsAtTheCommit_IsAnErrorInThe200_AndTheClientsObjectStays()
    {
        var source = $"refused-copy/{Guid.NewGuid():N}/source.bin";
        await PutAsync(source, 192 * MiB);
        var target = $"refused-copy/{Guid.NewGuid():N}/target.bin";

        using var response = await CopyAsync(target, Source(source), r => r.Headers.TryAddWithoutValidation("If-None-Match", "*"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var mine = await PutAsync(target, 1000);
        var answer = await response.Content.ReadAsStringAsync();

        Assert.Equal("PreconditionFailed", Code(answer));
        Assert.Equal(mine, await ObjectAsync(target));
    }

    /// <summary>
    /// The AWS CLI (botocore) with a one-second read timeout — shorter than copying 256 MiB takes here — copies with
    /// <c>s3api copy-object</c> (one CopyObject) and with <c>s3 cp</c> from bucket to bucket (a multipart upload of part
    /// copies), reading each kept-alive answer as S3's. (On this machine 256 MiB may copy within the second, so the code
    /// before can pass too; by hand, before: <c>copy-object</c> of 1 GiB — 2.4 s — with a one-second read timeout timed
    /// out, retried the whole copy four times and failed after 13.5 s.)
    /// </summary>
    [Fact]
    public async Task AwsCli_WithAReadTimeoutShorterThanTheCopy_Copies()
    {
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var source = $"cli-slow-copy/{Guid.NewGuid():N}/source.bin";
        var body = await PutAsync(source, 256 * MiB);
        var endpoint = Gateway.DataUrl.ToString().TrimEnd('/');
        var copied = $"cli-slow-copy/{Guid.NewGuid():N}/copied.bin";
        var transferred = $"cli-slow-copy/{Guid.NewGuid():N}/transferred.bin";

        var copy = await ExternalTool.RunAsync(aws, ["--endpoint-url", endpoint, "--cli-read-timeout", "1", "--output", "json",
            "s3api", "copy-object", "--bucket", GatewayProcess.DefaultBucket, "--key", copied, "--copy-source", $"{GatewayProcess.DefaultBucket}/{source}"],
            environment: GatewayProcess.AwsEnvironment());
        Assert.True(copy.ExitCode == 0, copy.Stderr + copy.Stdout);
        using (var result = JsonDocument.Parse(copy.Stdout))
        {
            Assert.Equal(ETag(body), result.RootElement.GetProperty("CopyObjectResult").GetProperty("ETag").GetString());
        }
        var transfer = await ExternalTool.RunAsync(aws, ["--endpoint-url", endpoint, "--cli-read-timeout", "1",
            "s3", "cp", $"s3://{GatewayProcess.DefaultBucket}/{source}", $"s3://{GatewayProcess.DefaultBucket}/{transferred}", "--no-progress"],
            environment: GatewayProcess.AwsEnvironment());
        Assert.True(transfer.ExitCode == 0, transfer.Stderr + transfer.Stdout);

        Assert.Equal(body, await ObjectAsync(copied));
        Assert.Equal(body, await ObjectAsync(transferred));
    }
}
