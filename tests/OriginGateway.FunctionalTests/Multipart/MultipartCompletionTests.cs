using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Multipart;

/// <summary>
/// Completions that take a while, and the clients that retry them. A gateway that keeps a slow completion's line alive
/// after 10 ms (<c>Limits:SlowAnswerKeepAlive</c>; 5 s by default), so that every completion here takes that path: the
/// 200 and the XML declaration go out at once, spaces follow, and the result — or an <c>Error</c> — ends the body, as
/// S3 answers. A completion retried while it runs, or after it went through, gets its answer; one racing an abort ends
/// one way or the other, never with a part "missing".
/// </summary>
public sealed class MultipartCompletionTests(KeptAliveGatewayFixture fixture) : IClassFixture<KeptAliveGatewayFixture>
{
    private const int MiB = 1024 * 1024;

    private GatewayProcess Gateway => fixture.Gateway;

    private Uri Url(string key, string query = "") => fixture.Url(key, query);

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HttpContent? content = null, Action<HttpRequestMessage>? configure = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) => fixture.SendAsync(method, uri, content, configure, completion);

    /// <summary>An upload of <paramref name="parts"/> parts of 16 MiB (the last 1000 bytes): its id, the parts, and the completion document.</summary>
    private async Task<(string UploadId, byte[][] Parts, string Document)> UploadAsync(string key, int parts = 3)
    {
        using var initiated = await SendAsync(HttpMethod.Post, Url(key, "?uploads"), new ByteArrayContent([]));
        var uploadId = XElement.Parse(await initiated.Content.ReadAsStringAsync()).Element("UploadId")!.Value;
        var bodies = Enumerable.Range(0, parts).Select(i => RandomNumberGenerator.GetBytes(i == parts - 1 ? 1000 : 16 * MiB)).ToArray();
        var listed = new List<XElement>();
        for (var i = 0; i < parts; i++)
        {
            using var part = await SendAsync(HttpMethod.Put, Url(key, $"?partNumber={i + 1}&uploadId={uploadId}"), new ByteArrayContent(bodies[i]));
            Assert.Equal(HttpStatusCode.OK, part.StatusCode);
            listed.Add(new XElement("Part", new XElement("PartNumber", i + 1), new XElement("ETag", part.Headers.ETag!.Tag)));
        }
        return (uploadId, bodies, new XElement("CompleteMultipartUpload", listed).ToString());
    }

    private Task<HttpResponseMessage> CompleteAsync(string key, string uploadId, string document, Action<HttpRequestMessage>? configure = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) =>
        SendAsync(HttpMethod.Post, Url(key, $"?uploadId={uploadId}"), new StringContent(document, Encoding.UTF8, "application/xml"), configure, completion);

    private static string MultipartETag(byte[][] parts) =>
        $"\"{Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(MD5.HashData).ToArray()))}-{parts.Length}\"";

    private Task<byte[]?> ObjectAsync(string key) => fixture.ObjectAsync(key);

    private static string? Code(string body) => KeptAliveGatewayFixture.Code(body);

    [Fact]
    public async Task ASlowCompletion_Is200AtOnce_KeptAliveWithSpaces_ThenItsResult()
    {
        var key = $"keepalive/{Guid.NewGuid():N}.bin";
        var (uploadId, parts, document) = await UploadAsync(key);

        using var response = await CompleteAsync(key, uploadId, document);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Matches("^<\\?xml version=\"1.0\" encoding=\"UTF-8\"\\?>\n +<CompleteMultipartUploadResult>", body);
        var result = XDocument.Parse(body).Root!;
        Assert.Equal("CompleteMultipartUploadResult", result.Name.LocalName);
        Assert.Equal(MultipartETag(parts), result.Element("ETag")!.Value);
        Assert.Equal(parts.SelectMany(p => p).ToArray(), await ObjectAsync(key));
    }

    [Fact]
    public async Task ACompletionRetried_WhileItRunsOrAfter_GetsItsAnswer_AndTheObjectIsJoinedOnce()
    {
        var key = $"retried/{Guid.NewGuid():N}.bin";
        var (uploadId, parts, document) = await UploadAsync(key);

        // Three at once (a client that timed out and retried, twice): one joins the parts, all three get its answer.
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            using var response = await CompleteAsync(key, uploadId, document);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));
        foreach (var (status, body) in answers)
        {
            Assert.True(status == HttpStatusCode.OK && Code(body) is null, body);
            Assert.Equal(MultipartETag(parts), XDocument.Parse(body).Root!.Element("ETag")!.Value);
        }
        Assert.Equal(parts.SelectMany(p => p).ToArray(), await ObjectAsync(key));

        // Once more, after it went through (its answer lost): the same answer, not NoSuchUpload.
        using (var again = await CompleteAsync(key, uploadId, document))
        {
            var body = await again.Content.ReadAsStringAsync();
            Assert.True(again.StatusCode == HttpStatusCode.OK && Code(body) is null, body);
            Assert.Equal(MultipartETag(parts), XDocument.Parse(body).Root!.Element("ETag")!.Value);
        }
        // The upload itself is gone; an id that never was is still NoSuchUpload.
        using (var abort = await SendAsync(HttpMethod.Delete, Url(key, $"?uploadId={uploadId}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, abort.StatusCode);
            Assert.Equal("NoSuchUpload", Code(await abort.Content.ReadAsStringAsync()));
        }
        using (var unknown = await CompleteAsync(key, "0123456789abcdef0123456789abcdef", document))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("NoSuchUpload", Code(await unknown.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task ACompletionRacingAnAbort_EndsOneWayOrTheOther_NeverWithAMissingPart()
    {
        for (var trial = 0; trial < 4; trial++)
        {
            var key = $"aborted/{Guid.NewGuid():N}.bin";
            var (uploadId, parts, document) = await UploadAsync(key);

            var completions = Enumerable.Range(0, 2).Select(async _ =>
            {
                using var response = await CompleteAsync(key, uploadId, document);
                var body = await response.Content.ReadAsStringAsync();
                return (response.StatusCode, Code: Code(body), Body: body);
            }).ToList();
            using (var abort = await SendAsync(HttpMethod.Delete, Url(key, $"?uploadId={uploadId}")))
            {
                Assert.True(abort.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, abort.StatusCode.ToString());
            }
            var answers = await Task.WhenAll(completions);
            var stored = await ObjectAsync(key);
            foreach (var answer in answers)
            {
                // Completed (the object is there, whole) or gone with the abort (nothing is) — never InvalidPart. The
                // NoSuchUpload of a completion whose 200 had gone out is in its body.
                Assert.True(answer is (HttpStatusCode.OK, null, _) or (HttpStatusCode.NotFound or HttpStatusCode.OK, "NoSuchUpload", _), $"trial {trial}: {answer.StatusCode} {answer.Body}");
                if (answer.Code is null)
                {
                    Assert.Equal(parts.SelectMany(p => p).ToArray(), stored);
                }
            }
            if (answers.All(a => a.Code is not null))
            {
                Assert.Null(stored);
            }
        }
    }

    /// <summary>
    /// A completion that may create only (If-None-Match: *) finds the key empty when it starts; a client's PUT lands while
    /// it joins the parts, after its 200 went out. The refusal comes as an Error in the body (what SDKs read a
    /// completion's 200 for), the client's object is kept, and the upload stays for another completion.
    /// </summary>
    [Fact]
    public async Task AConditionThatFailsAtTheCommit_IsAnErrorInThe200_AndTheUploadStays()
    {
        var key = $"refused/{Guid.NewGuid():N}.bin";
        var (uploadId, parts, document) = await UploadAsync(key, parts: 6);

        using var response = await CompleteAsync(key, uploadId, document, r => r.Headers.TryAddWithoutValidation("If-None-Match", "*"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var mine = RandomNumberGenerator.GetBytes(1000);
        using (var put = await SendAsync(HttpMethod.Put, Url(key), new ByteArrayContent(mine)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("PreconditionFailed", Code(body));
        Assert.Equal(mine, await ObjectAsync(key));
        using var listed = await SendAsync(HttpMethod.Get, Url(key, $"?uploadId={uploadId}"));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(parts.Length, XElement.Parse(await listed.Content.ReadAsStringAsync()).Elements().Count(e => e.Name.LocalName == "Part"));
    }

    /// <summary>
    /// The AWS CLI (botocore) with a one-second read timeout — shorter than joining 256 MiB takes on a slow disk — reads
    /// the kept-alive answer (the 200, the spaces, the result) as S3's. (By hand, before: a 1 GiB upload with a 3 s read
    /// timeout timed out, retried, got NoSuchUpload and reported the upload failed while the object was stored.)
    /// </summary>
    [Fact]
    public async Task AwsCli_WithAReadTimeoutShorterThanTheCompletion_Uploads()
    {
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var work = TestPaths.NewTempDirectory("og-cli-slow-completion");
        var local = Path.Combine(work, "big.bin");
        var bytes = RandomNumberGenerator.GetBytes(256 * MiB);
        await File.WriteAllBytesAsync(local, bytes);
        var key = $"cli-slow/{Guid.NewGuid():N}.bin";

        var up = await ExternalTool.RunAsync(aws, ["--endpoint-url", Gateway.DataUrl.ToString().TrimEnd('/'), "--cli-read-timeout", "1", "s3", "cp", local, $"s3://{GatewayProcess.DefaultBucket}/{key}", "--no-progress"],
            environment: GatewayProcess.AwsEnvironment());

        Assert.True(up.ExitCode == 0, up.Stderr + up.Stdout);
        Assert.Equal(bytes, await ObjectAsync(key));
        Directory.Delete(work, recursive: true);
    }
}
