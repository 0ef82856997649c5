using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Buckets;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Storage;
using OriginGateway.Tests.Storage;

namespace OriginGateway.Tests.Origins;

/// <summary>
/// The one ingest pipeline's failure table (<see cref="OriginIngest"/>): what each kind of origin answer
/// becomes — stored, served but not kept, or discarded — with nothing partial ever in the store.
/// </summary>
public sealed class OriginIngestTests : IDisposable
{
    private const string Bucket = "examplebucket-1250000000";
    private static readonly Uri Url = new("http://origin.example/a.bin");
    private readonly string _root = Directory.CreateTempSubdirectory("og-ingest-").FullName;
    private readonly FileSystemObjectStore _store;

    public OriginIngestTests() => _store = new FileSystemObjectStore(_root, false, TimeProvider.System, NullLogger.Instance);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static OriginIngest Ingest(long maxObjectSize = 1 << 20) =>
        new(new OriginPullOptions { MaxObjectSize = maxObjectSize }, new GatewayMetrics(), TimeProvider.System);

    private static HttpResponseMessage Answer(byte[] body, long? declaredLength, bool chunked = false, byte[]? md5 = null, HttpStatusCode status = HttpStatusCode.OK)
    {
        var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentLength = declaredLength;
        if (md5 is not null)
        {
            content.Headers.ContentMD5 = md5;
        }
        var response = new HttpResponseMessage(status) { Content = content };
        if (chunked)
        {
            response.Headers.TransferEncodingChunked = true;
        }
        return response;
    }

    /// <summary>Admit, copy the body into a write, finish: the pipeline as every path runs it.</summary>
    private async Task<(IngestAdmission Admission, IngestResult? Result)> RunAsync(OriginIngest ingest, HttpResponseMessage response, byte[]? expectedMd5 = null, string copyFailure = "")
    {
        var admission = ingest.Admit(response, Url, rangeRequested: false, expectedMd5);
        if (admission.Verdict == IngestVerdict.Refuse)
        {
            return (admission, null);
        }
        using var session = _store.BeginWrite("a.bin", admission.Write!);
        var (written, failure) = await OriginBodyCopy.CopyAsync(response, session, null, TimeSpan.FromSeconds(5), CancellationToken.None);
        var result = await ingest.FinishAsync(Bucket, admission, session, written, copyFailure.Length > 0 ? copyFailure : failure, CancellationToken.None);
        return (admission, result);
    }

    [Fact]
    public async Task AWholeAnswer_IsCommitted()
    {
        var body = RandomNumberGenerator.GetBytes(10_000);

        var (admission, result) = await RunAsync(Ingest(), Answer(body, body.Length, md5: MD5.HashData(body)));

        Assert.Equal(IngestVerdict.Store, admission.Verdict);
        Assert.Equal(IngestStatus.Committed, result!.Status);
        Assert.Equal(body, await _store.ReadAllAsync("a.bin"));
    }

    [Fact]
    public async Task AChunkedAnswer_WithoutALength_IsCommitted()
    {
        var body = RandomNumberGenerator.GetBytes(3_000);

        var (_, result) = await RunAsync(Ingest(), Answer(body, null, chunked: true));

        Assert.Equal(IngestStatus.Committed, result!.Status);
        Assert.Equal(body, await _store.ReadAllAsync("a.bin"));
    }

    public static TheoryData<string, string, string, string?> Failures() => new()
    {
        { "206 to a request without Range", "UnexpectedPartialContent", "Refuse", null },
        { "two Content-Length values", "ConflictingContentLength", "Refuse", null },
        { "Content-Length with chunked", "ContentLengthWithTransferEncoding", "Refuse", null },
        { "task MD5 differs from Content-MD5", "MD5Mismatch", "Refuse", null },
        { "declared length over the limit", "TooLarge", "ServeOnly", "NotKept" },
        { "chunked body growing over the limit", "TooLarge", "Store", "NotKept" },
        { "no length, no framing, no MD5", "Unframed", "ServeOnly", "NotKept" },
        { "shorter than its length", "Truncated", "Store", "Discarded" },
        { "longer than its length", "Truncated", "Store", "Discarded" },
        { "body stalled", "OriginTimeout", "Store", "Discarded" },
        { "wrong Content-MD5", "ChecksumMismatch", "Store", "Discarded" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task EachFailure_HasOneVerdict_AndNothingIsStored(string fault, string reason, string verdict, string? status)
    {
        var body = RandomNumberGenerator.GetBytes(2_000);
        byte[]? expectedMd5 = null;
        var copyFailure = "";
        var maxObjectSize = 1L << 20;
        HttpResponseMessage response;
        switch (fault)
        {
            case "206 to a request without Range":
                response = Answer(body, body.Length, status: HttpStatusCode.PartialContent);
                break;
            case "two Content-Length values":
                response = Answer(body, null);
                response.Content.Headers.TryAddWithoutValidation("Content-Length", ["2000", "2001"]);
                break;
            case "Content-Length with chunked":
                response = Answer(body, body.Length, chunked: true);
                break;
            case "task MD5 differs from Content-MD5":
                response = Answer(body, body.Length, md5: MD5.HashData(body));
                expectedMd5 = MD5.HashData("something else"u8);
                break;
            case "declared length over the limit":
                response = Answer(body, body.Length);
                maxObjectSize = 1_000;
                break;
            case "chunked body growing over the limit":
                response = Answer(body, null, chunked: true);
                maxObjectSize = 1_000;
                break;
            case "no length, no framing, no MD5":
                response = Answer(body, null);
                break;
            case "shorter than its length":
                response = Answer(body, body.Length + 1);
                break;
            case "longer than its length":
                response = Answer(body, body.Length - 1);
                break;
            case "body stalled":
                response = Answer(body, body.Length);
                copyFailure = "OriginTimeout";
                break;
            case "wrong Content-MD5":
                response = Answer(body, body.Length, md5: MD5.HashData("not the body"u8));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault));
        }
        var (admission, result) = await RunAsync(Ingest(maxObjectSize), response, expectedMd5, copyFailure);

        Assert.Equal(verdict, admission.Verdict.ToString());
        Assert.Equal(status, result?.Status.ToString());
        Assert.Equal(reason, result?.Reason is { Length: > 0 } finished ? finished : admission.Reason);
        Assert.Null(await _store.ReadAllAsync("a.bin"));
        Assert.False(Directory.EnumerateFiles(_root, "*.tmp", SearchOption.AllDirectories).Any(), "a staging file was left");
    }
}
