using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Security;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// The S3 dialect judged by real S3 tools, driven as their users drive them: boto3 (Debian's python3-boto3),
/// the AWS CLI v2 (Debian's awscli), the AWS SDK for JavaScript v3 (npm), rclone and s3cmd (Debian's), and
/// curl's own SigV4 signing for virtual-host names — path-style unless said, the gateway's credential as
/// access key and secret, endpoint and credentials always explicit (no tool ever looks for cloud metadata).
/// </summary>
public sealed class S3ToolsTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    /// <summary>The default bucket (public-read) and a private one.</summary>
    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync([$"--Buckets:1:Name={GatewayFixture.PrivateBucket}"]);

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    private string Endpoint => _gateway.DataUrl.ToString().TrimEnd('/');

    /// <summary>Stores one small object under each key through the COS API, sixteen at a time (what a listing test lists).</summary>
    private Task SeedAsync(IEnumerable<string> keys) =>
        Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, cancellation) =>
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, key)) { Content = new StringContent("x") };
            Assert.True((await _gateway.Client.SendAsync(put.Sign(), cancellation)).IsSuccessStatusCode);
        });

    private static Dictionary<string, string> AwsEnvironment(string secret = GatewayProcess.DevSecretKey) => GatewayProcess.AwsEnvironment(secret);

    [Fact]
    public async Task Boto3_ListsBucketsAndPagesExactly_ReadsWritesPresignsAndDeletes()
    {
        var (exit, stdout, stderr) = await PythonClient.RunAsync("boto3_s3.py", Endpoint, GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket);

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        var root = seen.RootElement;
        Assert.Contains(GatewayProcess.DefaultBucket, root.GetProperty("buckets").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal("hello from boto3", root.GetProperty("get").GetString());
        Assert.Equal(16, root.GetProperty("head_length").GetInt32());
        Assert.Equal("hello", root.GetProperty("range").GetString());
        Assert.Equal("awkward", root.GetProperty("awkward").GetString());
        foreach (var version in new[] { "v1", "v2" })
        {
            foreach (var size in new[] { 1, 7, 1000 })
            {
                var listing = root.GetProperty($"list_{version}_{size}");
                Assert.True(listing.GetProperty("count").GetInt32() == 2500 && listing.GetProperty("exact").GetBoolean(), $"{version} pages of {size}: {listing}");
            }
        }
        Assert.Equal(["boto/a b/", "boto/many/"], root.GetProperty("common_prefixes").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("hello from boto3", root.GetProperty("presigned").GetString());
        Assert.Equal(403, root.GetProperty("presigned_tampered").GetInt32());
        Assert.Equal(403, root.GetProperty("presigned_expired").GetInt32());
        Assert.Equal("403", root.GetProperty("wrong_secret").GetString());
        Assert.Equal("SignatureDoesNotMatch", root.GetProperty("wrong_secret_code").GetString());
        Assert.True(root.GetProperty("deleted").GetBoolean());
        Assert.Equal(100, root.GetProperty("batch_deleted").GetInt32());
        // An unversioned bucket as S3 shows one: ListObjectVersions pages every object once as version null, the latest;
        // versioning was never enabled; the bucket's ACL gives the public group read (the default bucket is
        // public-read); and emptying a prefix version by version deletes every object.
        foreach (var size in new[] { 7, 1000 })
        {
            var versions = root.GetProperty($"versions_{size}");
            Assert.True(versions.GetProperty("count").GetInt32() == 2400 && versions.GetProperty("exact").GetBoolean() && versions.GetProperty("null_latest").GetBoolean(), $"versions in pages of {size}: {versions}");
        }
        Assert.Equal("never enabled", root.GetProperty("versioning").GetString());
        Assert.Equal(["http://acs.amazonaws.com/groups/global/AllUsers:READ", "owner:FULL_CONTROL"], root.GetProperty("bucket_acl").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(2400, root.GetProperty("versions_deleted").GetInt32());
        Assert.Equal(0, root.GetProperty("versions_left").GetInt32());
        // Buckets are configured: creating the caller's own is 409 BucketAlreadyOwnedByYou, another name is refused, and
        // a path naming no configured bucket is NoSuchBucket — never a key of the default bucket.
        Assert.Equal("BucketAlreadyOwnedByYou", root.GetProperty("create_existing").GetString());
        Assert.Equal("AccessDenied", root.GetProperty("create_other").GetString());
        Assert.Equal(200, root.GetProperty("head_bucket").GetInt32());
        Assert.Equal("NoSuchBucket", root.GetProperty("unknown_bucket").GetString());
        // versionId=null is the current object of an unversioned bucket (GET, HEAD, DELETE); any other version does not exist.
        Assert.Equal("current", root.GetProperty("version_null_get").GetString());
        Assert.Equal(7, root.GetProperty("version_null_head").GetInt32());
        Assert.Equal("NoSuchVersion", root.GetProperty("version_other").GetString());
        var otherBatch = root.GetProperty("version_other_batch");
        Assert.Equal(["NoSuchVersion"], otherBatch.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, otherBatch.GetProperty("deleted").GetInt32());
        Assert.Equal("current", otherBatch.GetProperty("kept").GetString());
        var copies = root.GetProperty("version_copies");
        Assert.Equal("NoSuchVersion", copies.GetProperty("other").GetString());
        Assert.Equal("NoSuchVersion", copies.GetProperty("part_other").GetString());
        Assert.False(copies.GetProperty("other_stored").GetBoolean());
        Assert.Equal("current", copies.GetProperty("null").GetString());
        Assert.Equal("copied", copies.GetProperty("part_null").GetString());
        Assert.Equal(["v=null"], copies.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.True(root.GetProperty("version_null_deleted").GetBoolean());
        // Metadata, checksums, multipart, copy and a V4 presigned URL.
        Assert.Equal("blue", root.GetProperty("metadata").GetProperty("color").GetString());
        Assert.Equal(root.GetProperty("checksum").GetProperty("expected").GetString(), root.GetProperty("checksum").GetProperty("got").GetString());
        var big = root.GetProperty("big");
        Assert.True(big.GetProperty("same").GetBoolean());
        Assert.EndsWith("-8\"", big.GetProperty("etag").GetString(), StringComparison.Ordinal);
        Assert.Equal("green", big.GetProperty("metadata").GetProperty("color").GetString());
        Assert.Equal("blue", root.GetProperty("copy").GetProperty("kept").GetProperty("color").GetString());
        Assert.Equal("red", root.GetProperty("copy").GetProperty("replaced").GetProperty("color").GetString());
        Assert.Equal("with metadata", root.GetProperty("copy").GetProperty("body").GetString());
        Assert.True(root.GetProperty("presigned_v4").GetProperty("url_is_v4").GetBoolean());
        Assert.Equal("with metadata", root.GetProperty("presigned_v4").GetProperty("body").GetString());
        Assert.Equal(["team=storage", "tier=gold"], root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("2", root.GetProperty("tag_count").GetString());
        Assert.Equal("ap-guangzhou", root.GetProperty("location").GetString());
        // A PUT refused before boto3 sent its body (Expect: 100-continue): the connection's next requests are answered.
        var refusal = root.GetProperty("early_refusal");
        Assert.Equal("InvalidArgument", refusal.GetProperty("refused").GetString());
        Assert.Equal("ok", refusal.GetProperty("next_put").GetString());
        Assert.Equal("NoSuchBucket", refusal.GetProperty("unknown_bucket").GetString());
        Assert.Equal("12345", refusal.GetProperty("next_get").GetString());
    }

    /// <summary>
    /// A body that stops arriving for longer than Kestrel's minimum data rate allows (240 B/s after a 5 s grace) was
    /// answered 400 <c>IncompleteBody</c>, which no SDK retries: boto3 failed the upload of a client whose link stalled. S3
    /// answers it 400 <c>RequestTimeout</c>, which the SDKs retry (boto3's default legacy mode retries exactly that status and
    /// code), sending the body again. A PutObject and an UploadPart whose streams stop for 7 s right after the request goes
    /// out are each answered so once, retried once, and store the whole body.
    /// </summary>
    [Fact]
    public async Task Boto3_AnUploadWhoseBodyStallsPastTheMinimumDataRate_IsAnsweredRequestTimeout_AndItsRetryStoresTheWholeBody()
    {
        var (exit, stdout, stderr) = await PythonClient.RunAsync("boto3_stalled_upload.py", Endpoint, GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket, "7");

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        foreach (var upload in new[] { "put", "part" })
        {
            var result = seen.RootElement.GetProperty(upload);
            Assert.True(result.GetProperty("ok").GetBoolean(), $"{upload}: {result}");
            Assert.True(result.GetProperty("stalled").GetBoolean(), $"{upload}: {result}");
            var first = result.GetProperty("attempts")[0];
            Assert.Equal((400, "RequestTimeout"), (first.GetProperty("status").GetInt32(), first.GetProperty("code").GetString()));
            Assert.Equal(1, result.GetProperty("retries").GetInt32());
            Assert.True(result.GetProperty("whole").GetBoolean(), $"{upload}: {result}");
        }
    }

    [Fact]
    public async Task AwsCli_ListsBuckets_CopiesBothWays_Pages2500KeysExactly_StreamsMultipart_CopiesPresignsAndDeletes()
    {
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var work = TestPaths.NewTempDirectory("og-awscli");
        var local = Path.Combine(work, "up.bin");
        var body = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(local, body);
        async Task<(int Exit, string Out, string Err)> Aws(string secret, params string[] arguments) =>
            await ExternalTool.RunAsync(aws, ["--endpoint-url", Endpoint, .. arguments], environment: AwsEnvironment(secret));

        var buckets = await Aws(GatewayProcess.DevSecretKey, "s3", "ls");
        var up = await Aws(GatewayProcess.DevSecretKey, "s3", "cp", local, $"s3://{GatewayProcess.DefaultBucket}/cli/up.bin");
        var down = await Aws(GatewayProcess.DevSecretKey, "s3", "cp", $"s3://{GatewayProcess.DefaultBucket}/cli/up.bin", Path.Combine(work, "down.bin"));
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(0, (await Aws(GatewayProcess.DevSecretKey, "s3api", "put-object", "--bucket", GatewayProcess.DefaultBucket, "--key", $"cli/seven/{i}", "--body", local)).Exit);
        }
        var paged = await Aws(GatewayProcess.DevSecretKey, "s3", "ls", $"s3://{GatewayProcess.DefaultBucket}/cli/seven/", "--page-size", "2");
        var refused = await Aws("not-the-secret", "s3", "ls", $"s3://{GatewayProcess.DefaultBucket}/cli/");

        Assert.True(buckets.Exit == 0 && buckets.Out.Contains(GatewayProcess.DefaultBucket, StringComparison.Ordinal), buckets.Err + buckets.Out);
        Assert.True(up.Exit == 0, up.Err);
        Assert.True(down.Exit == 0, down.Err);
        Assert.Equal(body, await File.ReadAllBytesAsync(Path.Combine(work, "down.bin")));
        Assert.True(paged.Exit == 0, paged.Err);
        Assert.Equal(7, paged.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("SignatureDoesNotMatch", refused.Err, StringComparison.Ordinal);

        // Metadata and a range; 64 MiB from a pipe (a stream of unknown length: multipart); a server-side copy;
        // an awkward key; a presigned URL; 2,500 keys in pages of 1, 7 and 1000 with both listing calls; a
        // recursive delete (DeleteObjects in batches).
        Assert.Equal(0, (await Aws(GatewayProcess.DevSecretKey, "s3", "cp", local, $"s3://{GatewayProcess.DefaultBucket}/cli/meta.bin", "--metadata", "color=blue")).Exit);
        var meta = await Aws(GatewayProcess.DevSecretKey, "s3api", "head-object", "--bucket", GatewayProcess.DefaultBucket, "--key", "cli/meta.bin", "--query", "Metadata.color", "--output", "text");
        Assert.Equal("blue", meta.Out.Trim());
        var ranged = await Aws(GatewayProcess.DevSecretKey, "s3api", "get-object", "--bucket", GatewayProcess.DefaultBucket, "--key", "cli/up.bin", "--range", "bytes=100-199", Path.Combine(work, "range.bin"));
        Assert.True(ranged.Exit == 0, ranged.Err);
        Assert.Equal(body.AsSpan(100, 100).ToArray(), await File.ReadAllBytesAsync(Path.Combine(work, "range.bin")));
        var big = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(work, "big.bin"), big);
        var piped = await ExternalTool.RunAsync("/bin/sh", ["-c", $"cat '{Path.Combine(work, "big.bin")}' | '{aws}' --endpoint-url {Endpoint} s3 cp - s3://{GatewayProcess.DefaultBucket}/cli/big.bin"], environment: AwsEnvironment());
        Assert.True(piped.ExitCode == 0, piped.Stderr);
        var copied = await Aws(GatewayProcess.DevSecretKey, "s3", "cp", $"s3://{GatewayProcess.DefaultBucket}/cli/big.bin", $"s3://{GatewayProcess.DefaultBucket}/cli/big-copy.bin");
        Assert.True(copied.Exit == 0, copied.Err);
        Assert.Equal(0, (await Aws(GatewayProcess.DevSecretKey, "s3", "cp", $"s3://{GatewayProcess.DefaultBucket}/cli/big-copy.bin", Path.Combine(work, "big.back"))).Exit);
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(work, "big.back"))));
        var bigEtag = await Aws(GatewayProcess.DevSecretKey, "s3api", "head-object", "--bucket", GatewayProcess.DefaultBucket, "--key", "cli/big.bin", "--query", "ETag", "--output", "text");
        Assert.Matches("-\\d+\"$", bigEtag.Out.Trim());
        Assert.Equal(0, (await Aws(GatewayProcess.DevSecretKey, "s3", "cp", local, $"s3://{GatewayProcess.DefaultBucket}/cli/a b/ü+%.txt")).Exit);
        Assert.Contains("ü+%.txt", (await Aws(GatewayProcess.DevSecretKey, "s3", "ls", $"s3://{GatewayProcess.DefaultBucket}/cli/a b/")).Out, StringComparison.Ordinal);
        var presigned = (await Aws(GatewayProcess.DevSecretKey, "s3", "presign", $"s3://{GatewayProcess.DefaultBucket}/cli/up.bin", "--expires-in", "300")).Out.Trim();
        using (var plain = new HttpClient())
        {
            Assert.Equal(body, await plain.GetByteArrayAsync(presigned));
        }
        var keys = Enumerable.Range(0, 2500).Select(i => $"cli/many/{i:00000}").ToList();
        await SeedAsync(keys);
        foreach (var call in new[] { "list-objects", "list-objects-v2" })
        {
            foreach (var size in new[] { "1", "7", "1000" })
            {
                var listing = await Aws(GatewayProcess.DevSecretKey, "s3api", call, "--bucket", GatewayProcess.DefaultBucket, "--prefix", "cli/many/", "--page-size", size, "--query", "Contents[].Key", "--output", "json");
                Assert.True(listing.Exit == 0, listing.Err);
                Assert.True(keys.SequenceEqual(JsonSerializer.Deserialize<string[]>(listing.Out)!), $"{call} in pages of {size}");
            }
        }
        var removed = await Aws(GatewayProcess.DevSecretKey, "s3", "rm", "--recursive", $"s3://{GatewayProcess.DefaultBucket}/cli/");
        Assert.True(removed.Exit == 0, removed.Err);
        Assert.Equal("", (await Aws(GatewayProcess.DevSecretKey, "s3", "ls", "--recursive", $"s3://{GatewayProcess.DefaultBucket}/cli/")).Out.Trim());
    }

    /// <summary>
    /// Server-side encryption asked of the gateway — SSE-S3 (<c>--sse AES256</c>), KMS, a key of the client's own
    /// (<c>--sse-c</c>), on a PUT, a multipart upload and a copy — and Object Lock retention or a legal hold are refused
    /// as not implemented: nothing is stored in the clear, or deletable, behind the client's back (before, every one of
    /// them stored the object as sent and reported success); a download that brings a key for an object stored without
    /// one is refused too.
    /// </summary>
    [Fact]
    public async Task AwsCli_AskingForEncryptionOrAnObjectLock_IsRefused_AndNothingIsStored()
    {
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var work = TestPaths.NewTempDirectory("og-awscli-sse");
        var small = Path.Combine(work, "small.bin");
        var large = Path.Combine(work, "large.bin");
        await File.WriteAllBytesAsync(small, RandomNumberGenerator.GetBytes(1000));
        await File.WriteAllBytesAsync(large, RandomNumberGenerator.GetBytes(20 * 1024 * 1024));
        var prefix = $"s3://{GatewayProcess.DefaultBucket}/sse-{Guid.NewGuid():N}/";
        async Task<(int Exit, string Out, string Err)> Aws(params string[] arguments) =>
            await ExternalTool.RunAsync(aws, ["--endpoint-url", Endpoint, .. arguments], environment: AwsEnvironment());
        const string CustomerKey = "0123456789abcdef0123456789abcdef";

        Assert.Equal(0, (await Aws("s3", "cp", small, prefix + "plain.bin")).Exit);
        foreach (var (what, arguments) in new (string, string[])[]
        {
            ("SSE-S3 PutObject", ["s3", "cp", small, prefix + "sse-s3.bin", "--sse", "AES256"]),
            ("KMS PutObject", ["s3", "cp", small, prefix + "kms.bin", "--sse", "aws:kms"]),
            ("SSE-C PutObject", ["s3", "cp", small, prefix + "sse-c.bin", "--sse-c", "AES256", "--sse-c-key", CustomerKey]),
            ("SSE-S3 CreateMultipartUpload", ["s3", "cp", large, prefix + "multipart.bin", "--sse", "AES256"]),
            ("SSE-S3 CopyObject", ["s3", "cp", prefix + "plain.bin", prefix + "copied.bin", "--sse", "AES256"]),
            ("Object Lock retention", ["s3api", "put-object", "--bucket", GatewayProcess.DefaultBucket, "--key", prefix[(prefix.IndexOf('/', 5) + 1)..] + "locked.bin", "--body", small,
                "--object-lock-mode", "COMPLIANCE", "--object-lock-retain-until-date", "2030-01-01T00:00:00Z"]),
            ("Object Lock legal hold", ["s3api", "put-object", "--bucket", GatewayProcess.DefaultBucket, "--key", prefix[(prefix.IndexOf('/', 5) + 1)..] + "held.bin", "--body", small,
                "--object-lock-legal-hold-status", "ON"]),
        })
        {
            var run = await Aws(arguments);
            Assert.True(run.Exit != 0 && run.Err.Contains("NotImplemented", StringComparison.Ordinal), $"{what}: {run.Exit} {run.Err}{run.Out}");
        }
        var download = await Aws("s3", "cp", prefix + "plain.bin", Path.Combine(work, "down.bin"), "--sse-c", "AES256", "--sse-c-key", CustomerKey);
        Assert.True(download.Exit != 0, download.Err + download.Out);

        var listed = await Aws("s3", "ls", prefix);
        Assert.Equal(["plain.bin"], listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]));
        var uploads = await Aws("s3api", "list-multipart-uploads", "--bucket", GatewayProcess.DefaultBucket, "--prefix", prefix[(prefix.IndexOf('/', 5) + 1)..], "--output", "json");
        Assert.DoesNotContain("UploadId", uploads.Out, StringComparison.Ordinal);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task ABodyThatIsNotTheSignedOne_IsRefused_AndNothingIsStored()
    {
        var now = DateTimeOffset.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var signedBody = "the body that was signed"u8.ToArray();
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(signedBody));
        var path = $"/{GatewayProcess.DefaultBucket}/tampered.txt";
        var host = _gateway.DataUrl.Authority;
        var canonical = S3Signature.CanonicalRequest("PUT", path, [], [("host", host), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)], payloadHash);
        var scope = S3Signature.Scope(amzDate[..8], "us-east-1", "s3");
        var signature = S3Signature.Signature(S3Signature.SigningKey(GatewayProcess.DevSecretKey, amzDate[..8], "us-east-1", "s3"), S3Signature.StringToSign(amzDate, scope, canonical));
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, path.TrimStart('/'))) { Content = new ByteArrayContent("another body, same length!"u8.ToArray()) };
        put.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        put.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        put.Headers.TryAddWithoutValidation("Authorization", $"{S3Signature.Algorithm} Credential={GatewayProcess.DevSecretId}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}");

        var response = await _gateway.Client.SendAsync(put);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<Code>XAmzContentSHA256Mismatch</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, "tampered.txt")).Sign())).StatusCode);
    }

    [Fact]
    public async Task JavaScriptSdk_StreamsWithDefaultChecksums_UploadsMultipart_PagesExactly_CopiesPresignsAndDeletes()
    {
        NodeScript.RequirePackage("@aws-sdk/client-s3");
        NodeScript.RequirePackage("@aws-sdk/lib-storage");
        NodeScript.RequirePackage("@aws-sdk/s3-request-presigner");

        var (exit, stdout, stderr) = await NodeScript.RunAsync("s3-sdk-check.js", Endpoint, GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket);

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        var root = seen.RootElement;
        Assert.Contains(GatewayProcess.DefaultBucket, root.GetProperty("buckets").EnumerateArray().Select(b => b.GetString()));
        foreach (var version in new[] { "v1", "v2" })
        {
            foreach (var size in new[] { 1, 7, 1000 })
            {
                var listing = root.GetProperty($"list_{version}_{size}");
                Assert.True(listing.GetProperty("count").GetInt32() == 2500 && listing.GetProperty("exact").GetBoolean(), $"{version} pages of {size}: {listing}");
            }
        }
        Assert.Equal("hello from the js sdk", root.GetProperty("get").GetString());
        Assert.Equal(21, root.GetProperty("head").GetProperty("length").GetInt32());
        Assert.Equal("blue", root.GetProperty("head").GetProperty("metadata").GetProperty("color").GetString());
        Assert.Equal("from", root.GetProperty("range").GetString());
        // A checksum sent with the upload is kept and given back on request (and the SDK verified the body against it).
        var checksum = root.GetProperty("checksum");
        Assert.Equal(checksum.GetProperty("expected").GetString(), checksum.GetProperty("put").GetString());
        Assert.Equal(checksum.GetProperty("expected").GetString(), checksum.GetProperty("get").GetString());
        // The stream went as aws-chunked with a trailing CRC32 — and is stored as the object, not its framing.
        var sent = root.GetProperty("stream_sent");
        Assert.Equal("STREAMING-UNSIGNED-PAYLOAD-TRAILER", sent.GetProperty("sha256").GetString());
        Assert.Equal("aws-chunked", sent.GetProperty("encoding").GetString());
        Assert.Equal("x-amz-checksum-crc32", sent.GetProperty("trailer").GetString());
        Assert.Equal(3 * 1024 * 1024 + 17, root.GetProperty("stream").GetProperty("length").GetInt32());
        Assert.True(root.GetProperty("stream").GetProperty("same").GetBoolean());
        // Its trailing CRC32 is kept: the PUT's answer, GET and HEAD with ChecksumMode ENABLED give the body's CRC32.
        var streamed = root.GetProperty("stream");
        var crc32 = streamed.GetProperty("expected").GetString();
        Assert.Equal([crc32, crc32, crc32], new[] { "put", "get", "head" }.Select(n => streamed.TryGetProperty(n, out var v) ? v.GetString() : null));
        var big = root.GetProperty("big");
        Assert.Equal(64 * 1024 * 1024, big.GetProperty("length").GetInt32());
        Assert.True(big.GetProperty("same").GetBoolean() && big.GetProperty("multipart").GetBoolean(), big.ToString());
        Assert.Equal("green", big.GetProperty("metadata").GetProperty("color").GetString());
        var copy = root.GetProperty("copy");
        Assert.Equal("hello from the js sdk", copy.GetProperty("body").GetString());
        Assert.Equal("blue", copy.GetProperty("kept").GetProperty("color").GetString());
        Assert.Equal("red", copy.GetProperty("replaced").GetProperty("color").GetString());
        Assert.False(copy.GetProperty("replaced").TryGetProperty("mtime", out _));
        Assert.Equal("text/x-copied", copy.GetProperty("type").GetString());
        Assert.Equal("awkward", root.GetProperty("awkward").GetString());
        Assert.Equal(["js/a b/ü+%.txt"], root.GetProperty("awkward_listed").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(200, root.GetProperty("presigned").GetProperty("status").GetInt32());
        Assert.Equal("hello from the js sdk", root.GetProperty("presigned").GetProperty("body").GetString());
        Assert.Equal(403, root.GetProperty("presigned_tampered").GetInt32());
        Assert.Equal(403, root.GetProperty("presigned_expired").GetInt32());
        Assert.Equal(200, root.GetProperty("presigned_put").GetInt32());
        Assert.Equal("put through a presigned url", root.GetProperty("presigned_put_body").GetString());
        Assert.Equal(403, root.GetProperty("wrong_secret").GetProperty("status").GetInt32());
        Assert.Equal("SignatureDoesNotMatch", root.GetProperty("wrong_secret").GetProperty("code").GetString());
        Assert.True(root.GetProperty("deleted").GetBoolean());
        Assert.Equal(1000, root.GetProperty("batch_deleted").GetInt32());
        Assert.Equal(1500, root.GetProperty("batch_left").GetInt32());
        // Conditional writes: If-None-Match: * creates only, If-Match replaces only the object it names (404 without one);
        // of sixteen racing creates exactly one is stored; a completion onto an object is refused and its parts stay.
        var conditional = root.GetProperty("conditional");
        string Outcome(string name) => conditional.GetProperty(name).GetString()!;
        Assert.Equal("ok", Outcome("create"));
        Assert.Equal("PreconditionFailed", Outcome("create_again"));
        Assert.Equal("PreconditionFailed", Outcome("match_other"));
        Assert.Equal("NoSuchKey", Outcome("match_absent"));
        Assert.Equal("ok", Outcome("match"));
        Assert.Equal("mine again", Outcome("kept"));
        var race = conditional.GetProperty("race");
        Assert.True(race.GetProperty("winners").GetInt32() == 1 && race.GetProperty("stored_is_winners").GetBoolean(), race.ToString());
        Assert.Equal(["PreconditionFailed"], race.GetProperty("others").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal("PreconditionFailed", Outcome("complete_existing"));
        Assert.Equal(1, conditional.GetProperty("parts_kept").GetInt32());
        Assert.Equal("ok", Outcome("complete_new"));
        Assert.Equal("mine again", Outcome("final"));
        // Conditional deletes (If-Match; an ETag per DeleteObjects entry): another object's ETag deletes nothing.
        Assert.Equal("PreconditionFailed", Outcome("delete_other"));
        Assert.Equal(["PreconditionFailed"], conditional.GetProperty("batch_delete_other").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("mine again", Outcome("after_deletes"));
        Assert.Equal("ok", Outcome("delete_match"));
        Assert.Equal(404, conditional.GetProperty("deleted").GetInt32());
    }

    [Fact]
    public async Task Rclone_SyncsTwiceCopyingNothingTheSecondTime_KeepsModTimes_PagesExactly_AndDoesEverythingElse()
    {
        var rclone = ExternalTool.RequireAt("/usr/bin/rclone", "rclone");
        var work = TestPaths.NewTempDirectory("og-rclone");
        var remote = $"gw:{GatewayProcess.DefaultBucket}";
        var config = Path.Combine(work, "rclone.conf");
        await File.WriteAllTextAsync(config, "");
        async Task<(int Exit, string Out, string Err)> Rclone(string secret, params string[] arguments) =>
            await ExternalTool.RunAsync(rclone, [.. arguments, "--config", config, "--retries", "1", "--low-level-retries", "1"], environment: new Dictionary<string, string>
            {
                ["RCLONE_CONFIG_GW_TYPE"] = "s3",
                ["RCLONE_CONFIG_GW_PROVIDER"] = "Other",
                ["RCLONE_CONFIG_GW_ACCESS_KEY_ID"] = GatewayProcess.DevSecretId,
                ["RCLONE_CONFIG_GW_SECRET_ACCESS_KEY"] = secret,
                ["RCLONE_CONFIG_GW_ENDPOINT"] = Endpoint,
                ["RCLONE_CONFIG_GW_REGION"] = "us-east-1",
                ["RCLONE_CONFIG_GW_FORCE_PATH_STYLE"] = "true",
            }, unset: ["AWS_CA_BUNDLE"]);
        async Task<(int Exit, string Out, string Err)> Ok(params string[] arguments)
        {
            var run = await Rclone(GatewayProcess.DevSecretKey, arguments);
            Assert.True(run.Exit == 0, $"rclone {string.Join(' ', arguments)}: {run.Err}{run.Out}");
            return run;
        }

        // 200 files synced twice: the second run finds every file the same (size and modification time, kept as
        // x-amz-meta-mtime) and copies nothing.
        var tree = Directory.CreateDirectory(Path.Combine(work, "tree")).FullName;
        for (var i = 0; i < 200; i++)
        {
            var file = Path.Combine(tree, i % 10 == 0 ? $"sub {i}" : "", $"f{i}.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(1 + (i * 37 % 5000)));
            File.SetLastWriteTimeUtc(file, new DateTime(2024, 1, 1, 12, 0, 0, DateTimeKind.Utc).AddMinutes(i).AddMilliseconds(123));
        }
        var first = await Ok("sync", tree, $"{remote}/rc/tree", "-v");
        var second = await Ok("sync", tree, $"{remote}/rc/tree", "-v");
        Assert.Equal(200, first.Err.Split('\n').Count(l => l.Contains(": Copied (new)", StringComparison.Ordinal)));
        Assert.DoesNotContain("Copied", second.Err, StringComparison.Ordinal);
        Assert.Contains("Checks:               200 / 200", second.Err, StringComparison.Ordinal);
        var listed = (await Ok("lsl", $"{remote}/rc/tree/sub 10")).Out;
        Assert.Contains("2024-01-01 12:10:00.123000000 f10.bin", listed, StringComparison.Ordinal);
        Assert.Equal(0, (await Rclone(GatewayProcess.DevSecretKey, "check", tree, $"{remote}/rc/tree")).Exit);

        // 2,500 keys listed in pages of 1, 7 and 1000, both listing versions: exactly the keys, once each.
        var many = Directory.CreateDirectory(Path.Combine(work, "many")).FullName;
        for (var i = 0; i < 2500; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(many, $"{i:00000}"), "x");
        }
        await Ok("copy", many, $"{remote}/rc/many", "--transfers", "16");
        var expected = Enumerable.Range(0, 2500).Select(i => $"{i:00000}").ToArray();
        foreach (var version in new[] { "1", "2" })
        {
            foreach (var chunk in new[] { "1", "7", "1000" })
            {
                var keys = (await Ok("lsf", $"{remote}/rc/many", "--s3-list-version", version, "--s3-list-chunk", chunk)).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.True(expected.SequenceEqual(keys), $"list version {version} in pages of {chunk}: {keys.Length} keys");
            }
        }

        // 64 MiB as a multipart upload, read back whole and by range; a server-side copy; a presigned link.
        var bigFile = Path.Combine(work, "big.bin");
        var big = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        await File.WriteAllBytesAsync(bigFile, big);
        await Ok("copyto", bigFile, $"{remote}/rc/big.bin", "--s3-upload-cutoff", "8M", "--s3-chunk-size", "8M");
        await Ok("copyto", $"{remote}/rc/big.bin", $"{remote}/rc/big-copy.bin");
        await Ok("copyto", $"{remote}/rc/big-copy.bin", Path.Combine(work, "big-back.bin"));
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(work, "big-back.bin"))));
        var head = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, "rc/big.bin")).Sign());
        Assert.Matches("-8\"$", head.Headers.ETag!.Tag);
        var digits = Path.Combine(work, "digits.txt");
        await File.WriteAllTextAsync(digits, "0123456789abcdef");
        await Ok("copyto", digits, $"{remote}/rc/digits.txt");
        Assert.Equal("456789", (await Ok("cat", $"{remote}/rc/digits.txt", "--offset", "4", "--count", "6")).Out);
        var link = (await Ok("link", $"{remote}/rc/tree/f1.bin", "--expire", "1h")).Out.Trim();
        Assert.Contains("X-Amz-Signature=", link, StringComparison.Ordinal);
        using (var plain = new HttpClient())
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(tree, "f1.bin")), await plain.GetByteArrayAsync(link));
        }

        // An awkward key, a delete, and a wrong secret.
        var awkward = Path.Combine(work, "awkward.txt");
        await File.WriteAllTextAsync(awkward, "awkward");
        await Ok("copyto", awkward, $"{remote}/rc/a b/ü+%.txt");
        Assert.Equal("awkward", (await Ok("cat", $"{remote}/rc/a b/ü+%.txt")).Out);
        await Ok("deletefile", $"{remote}/rc/a b/ü+%.txt");
        Assert.Equal("", (await Ok("lsf", $"{remote}/rc/a b/")).Out);
        var refused = await Rclone("not-the-secret", "lsf", $"{remote}/rc/tree");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("SignatureDoesNotMatch", refused.Err, StringComparison.Ordinal);
    }

    /// <summary>
    /// restic (Debian's; its S3 backend is minio-go, an S3 client of its own: SigV4 signed streaming uploads over plain
    /// HTTP, its own listing and location calls) keeps a backup repository in the private bucket as its users do: init,
    /// two backups (the second stores only what changed), check reading every pack back, restore byte for byte, forget
    /// with prune (which rewrites and deletes packs), check and restore again; a wrong password opens nothing.
    /// </summary>
    [Fact]
    public async Task S3fs_MountsThePrivateBucket_WritesAppendsRenamesChmodsTruncatesCopiesLargeFilesAndRemovesTrees()
    {
        var s3fs = ExternalTool.RequireAt("/usr/bin/s3fs", "s3fs");
        var bash = ExternalTool.Require("bash", "bash");
        var work = TestPaths.NewTempDirectory("og-s3fs");
        var passwords = Path.Combine(work, "passwd");
        await File.WriteAllTextAsync(passwords, $"{GatewayProcess.DevSecretId}:{GatewayProcess.DevSecretKey}\n");
        // s3fs refuses a password file others may read.
        Assert.Equal(0, (await ExternalTool.RunAsync(ExternalTool.Require("chmod", "coreutils"), ["600", passwords])).ExitCode);
        var mount = Directory.CreateDirectory(Path.Combine(work, "mnt")).FullName;
        var big = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(work, "big.bin"), big);
        var dir = $"s3fs-{Guid.NewGuid():N}";

        // Mounted in the foreground (-f) as a child process, killed by id if anything goes wrong; credentials and endpoint
        // explicit, so it never looks for instance credentials.
        Task<FuseMount> MountAsync() => FuseMount.MountAsync(s3fs,
            [GatewayFixture.PrivateBucket, mount, "-f", "-o", $"passwd_file={passwords}", "-o", $"url={Endpoint}",
                "-o", "use_path_request_style", "-o", "endpoint=us-east-1", "-o", "dbglevel=warn"], mount, "fuse.s3fs");
        async Task<string> Shell(string script)
        {
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(bash, ["-euo", "pipefail", "-c", script], workingDirectory: mount);
            Assert.True(exit == 0, $"{script}\n{stderr}{stdout}");
            return stdout;
        }
        Task<HttpResponseMessage> GetAsync(string key, HttpMethod? method = null) =>
            _gateway.Client.SendAsync(new HttpRequestMessage(method ?? HttpMethod.Get, new Uri(_gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/{dir}/{key}")).Sign());

        var s3fsProcess = await MountAsync();
        try
        {
            // What a user does in a mounted bucket: each of these is a PUT, a ranged GET, a copy onto itself with new
            // metadata (chmod), a copy and a delete (mv), a rewrite (append, truncate), a multipart upload (cp of 24 MiB),
            // directory objects (mkdir) and a recursive listing and delete (rm -r).
            await Shell($"""
                mkdir {dir} && cd {dir}
                printf 'hello' > a.txt
                printf ', world' >> a.txt
                mv a.txt b.txt
                chmod 640 b.txt
                cp {work}/big.bin big.bin
                mkdir -p tree/deeper && printf 'x' > tree/deeper/c.txt && printf 'y' > tree/d.txt
                cp b.txt tree/copy.txt
                truncate -s 5 tree/copy.txt
                rm -r tree
                mkdir kept
                """);
            Assert.Equal("hello, world", await Shell($"cat {dir}/b.txt"));
            Assert.Equal("640 25165824", (await Shell($"echo $(stat -c %a {dir}/b.txt) $(stat -c %s {dir}/big.bin)")).Trim());
        }
        finally
        {
            await s3fsProcess.UnmountAsync();
        }

        // Through the S3 API: what the file system did is what the bucket holds.
        Assert.Equal("hello, world", await (await GetAsync("b.txt")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("a.txt")).StatusCode);
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(await (await GetAsync("big.bin")).Content.ReadAsByteArrayAsync()));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("tree/d.txt", HttpMethod.Head)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("tree/copy.txt", HttpMethod.Head)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("kept/", HttpMethod.Head)).StatusCode);
        var listing = await (await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/?prefix={dir}/")).Sign())).Content.ReadAsStringAsync();
        Assert.DoesNotContain("tree/", listing, StringComparison.Ordinal);

        // Mounted again: the mode chmod gave (kept in the object's metadata) and the bytes come back.
        s3fsProcess = await MountAsync();
        try
        {
            Assert.Equal("640 12", (await Shell($"stat -c '%a %s' {dir}/b.txt")).Trim());
            Assert.Equal("hello, world", (await Shell($"cat {dir}/b.txt")).Trim());
            Assert.Equal("b.txt big.bin kept", string.Join(' ', (await Shell($"ls {dir}")).Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
        finally
        {
            await s3fsProcess.UnmountAsync();
        }
    }

    /// <summary>
    /// s3backer (Debian's: a block device kept in a bucket, one object per block; its own C client on libcurl, SigV4,
    /// Content-MD5 on every block, Expect: 100-continue, a mount flag object with metadata, a listing of the blocks at start,
    /// a DELETE for every block that becomes zeros) holds an ext4 file system that e2fsprogs makes, writes and checks without
    /// a kernel mount: mkfs, a file and a directory written with debugfs, a clean fsck, the same bytes after it is mounted
    /// again; a second mount is refused by its flag; zeroing the device deletes its blocks; and encrypted (its HMAC and
    /// cipher in each block's metadata) the file comes back the same.
    /// </summary>
    [Fact]
    public async Task S3backer_KeepsAnExt4FileSystem_BlockForBlock_RefusesASecondMount_DeletesZeroedBlocks_AndEncrypts()
    {
        var s3backer = ExternalTool.RequireAt("/usr/bin/s3backer", "s3backer");
        var mkfs = ExternalTool.RequireAt("/sbin/mkfs.ext4", "e2fsprogs");
        var debugfs = ExternalTool.RequireAt("/sbin/debugfs", "e2fsprogs");
        var e2fsck = ExternalTool.RequireAt("/sbin/e2fsck", "e2fsprogs");
        var work = TestPaths.NewTempDirectory("og-s3backer");
        var mount = Directory.CreateDirectory(Path.Combine(work, "mnt")).FullName;
        var payload = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(Path.Combine(work, "payload.bin"), payload);
        var device = Path.Combine(mount, "file");

        // In the foreground (-f) as a child process; credentials and endpoint explicit (path style: no --region).
        string[] Arguments(string prefix, bool encrypted, string at) =>
        [
            "-f", $"--accessId={GatewayProcess.DevSecretId}", $"--accessKey={GatewayProcess.DevSecretKey}", $"--baseURL={Endpoint}/",
            "--blockSize=64k", "--size=16M", $"--prefix={prefix}", "--listBlocks", "--timeout=10", .. encrypted ? new[] { "--encrypt", "--password=s3backer-test" } : [],
            GatewayFixture.PrivateBucket, at,
        ];
        Task<FuseMount> MountAsync(string prefix, bool encrypted = false) => FuseMount.MountAsync(s3backer, Arguments(prefix, encrypted, mount), mount, "fuse.s3backer");
        async Task<string> RunAsync(string tool, params string[] arguments)
        {
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(tool, arguments);
            Assert.True(exit == 0, $"{tool} {string.Join(' ', arguments)}: {stderr}{stdout}");
            return stdout;
        }
        async Task<List<string>> BlocksAsync(string prefix)
        {
            using var list = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/?list-type=2&prefix={prefix}"));
            var xml = System.Xml.Linq.XDocument.Parse(await (await _gateway.Client.SendAsync(list.Sign())).Content.ReadAsStringAsync());
            return xml.Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value[prefix.Length..]).ToList();
        }
        async Task WriteAndCheckAsync()
        {
            await RunAsync(mkfs, "-q", "-F", device);
            await RunAsync(debugfs, "-w", "-R", $"write {Path.Combine(work, "payload.bin")} payload.bin", device);
            await RunAsync(debugfs, "-w", "-R", "mkdir docs", device);
            await RunAsync(e2fsck, "-f", "-n", device);
        }
        async Task ReadBackAsync()
        {
            await RunAsync(e2fsck, "-f", "-n", device);
            var copy = Path.Combine(work, $"copy-{Guid.NewGuid():N}.bin");
            await RunAsync(debugfs, "-R", $"dump payload.bin {copy}", device);
            Assert.Equal(payload, await File.ReadAllBytesAsync(copy));
            Assert.Contains("docs", await RunAsync(debugfs, "-R", "ls -l", device), StringComparison.Ordinal);
        }

        var prefix = $"s3backer-{Guid.NewGuid():N}/";
        var child = await MountAsync(prefix);
        try
        {
            await WriteAndCheckAsync();
            // A second mount of the same blocks is refused by the flag the first one keeps in the bucket.
            var elsewhere = Directory.CreateDirectory(Path.Combine(work, "second")).FullName;
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(s3backer, Arguments(prefix, encrypted: false, elsewhere).Skip(1));
            Assert.True(exit != 0 && (stdout + stderr).Contains("already mounted", StringComparison.Ordinal), $"a second mount: {exit} {stderr}{stdout}");
        }
        finally
        {
            await child.UnmountAsync();
        }
        // Through the S3 API: one object per block that is not zeros, block 0 (the superblock's) exactly the device's first 64 KiB.
        var blocks = await BlocksAsync(prefix);
        Assert.Contains("00000000", blocks);
        Assert.DoesNotContain("s3backer-mounted", blocks);
        var blockZero = await (await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/{prefix}00000000")).Sign())).Content.ReadAsByteArrayAsync();
        Assert.Equal(65536, blockZero.Length);
        Assert.Equal(0xEF53, blockZero[1024 + 0x38] | blockZero[1024 + 0x39] << 8);

        child = await MountAsync(prefix);
        try
        {
            await ReadBackAsync();
            await File.WriteAllBytesAsync(device, new byte[16 << 20]);
        }
        finally
        {
            await child.UnmountAsync();
        }
        Assert.Empty(await BlocksAsync(prefix));

        var encrypted = $"s3backer-{Guid.NewGuid():N}/";
        child = await MountAsync(encrypted, encrypted: true);
        try
        {
            await WriteAndCheckAsync();
        }
        finally
        {
            await child.UnmountAsync();
        }
        var sealedBlock = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/{encrypted}00000000")).Sign());
        // Asked in COS's dialect, the metadata s3backer wrote as x-amz-meta-* comes back as x-cos-meta-*.
        Assert.True(sealedBlock.Headers.Contains("x-cos-meta-s3backer-hmac"), sealedBlock.ToString());
        Assert.Equal(["deflate", "encrypt-AES-128-CBC"], sealedBlock.Content.Headers.ContentEncoding);
        child = await MountAsync(encrypted, encrypted: true);
        try
        {
            await ReadBackAsync();
        }
        finally
        {
            await child.UnmountAsync();
        }
    }

    [Fact]
    public async Task Restic_BacksUpChecksRestoresAndPrunes_ARepositoryInTheBucket()
    {
        var restic = ExternalTool.RequireAt("/usr/bin/restic", "restic");
        var work = TestPaths.NewTempDirectory("og-restic");
        var repository = $"s3:{Endpoint}/{GatewayFixture.PrivateBucket}/restic-{Guid.NewGuid():N}";
        async Task<(int Exit, string Out, string Err)> Restic(string password, params string[] arguments) =>
            await ExternalTool.RunAsync(restic, [.. arguments, "--repo", repository, "--cache-dir", Path.Combine(work, "cache")], environment: new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = GatewayProcess.DevSecretId,
                ["AWS_SECRET_ACCESS_KEY"] = GatewayProcess.DevSecretKey,
                ["AWS_DEFAULT_REGION"] = "us-east-1",
                ["AWS_EC2_METADATA_DISABLED"] = "true",
                ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
                ["RESTIC_PASSWORD"] = password,
                ["HOME"] = work,
            }, unset: ["AWS_CA_BUNDLE", "AWS_SESSION_TOKEN", "AWS_PROFILE", "RESTIC_REPOSITORY", "RESTIC_PASSWORD_FILE"]);
        async Task<string> Ok(params string[] arguments)
        {
            var run = await Restic("restic-test-password", arguments);
            Assert.True(run.Exit == 0, $"restic {string.Join(' ', arguments)}: {run.Err}{run.Out}");
            return run.Out;
        }

        // A tree of small files, a large one (restic cuts it into chunks and packs them, 16 MiB packs), and duplicates
        // (stored once).
        var tree = Directory.CreateDirectory(Path.Combine(work, "tree")).FullName;
        Directory.CreateDirectory(Path.Combine(tree, "docs"));
        for (var i = 0; i < 40; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(tree, "docs", $"f{i}.bin"), RandomNumberGenerator.GetBytes(1000 + i * 37));
        }
        var large = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(tree, "large.bin"), large);
        await File.WriteAllBytesAsync(Path.Combine(tree, "copy-of-large.bin"), large);

        await Ok("init");
        await Ok("backup", tree, "--host", "og-test");
        await File.WriteAllBytesAsync(Path.Combine(tree, "docs", "f0.bin"), RandomNumberGenerator.GetBytes(5000));
        await File.WriteAllBytesAsync(Path.Combine(tree, "added.bin"), RandomNumberGenerator.GetBytes(300_000));
        var second = await Ok("backup", tree, "--host", "og-test", "--json");
        // The second run found the large file unchanged: only what changed was new.
        using (var summary = JsonDocument.Parse(second.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last()))
        {
            Assert.Equal(2, summary.RootElement.GetProperty("files_new").GetInt32() + summary.RootElement.GetProperty("files_changed").GetInt32());
            Assert.True(summary.RootElement.GetProperty("data_added").GetInt64() < 1024 * 1024, second);
        }
        using (var snapshots = JsonDocument.Parse(await Ok("snapshots", "--json")))
        {
            Assert.Equal(2, snapshots.RootElement.GetArrayLength());
        }
        await Ok("check", "--read-data");

        async Task RestoredIsTheTreeAsync(string name)
        {
            var target = Path.Combine(work, name);
            await Ok("restore", "latest", "--target", target);
            var restored = Path.Combine(target, tree.TrimStart('/'));
            var expected = Directory.GetFiles(tree, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(tree, f)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, Directory.GetFiles(restored, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(restored, f)).Order(StringComparer.Ordinal).ToList());
            foreach (var file in expected)
            {
                var original = await File.ReadAllBytesAsync(Path.Combine(tree, file));
                var copy = await File.ReadAllBytesAsync(Path.Combine(restored, file));
                Assert.True(original.AsSpan().SequenceEqual(copy), file);
            }
        }
        await RestoredIsTheTreeAsync("restore-1");

        // Forget the first snapshot and prune: packs holding only its data are deleted or repacked.
        await Ok("forget", "--keep-last", "1", "--prune");
        using (var snapshots = JsonDocument.Parse(await Ok("snapshots", "--json")))
        {
            Assert.Equal(1, snapshots.RootElement.GetArrayLength());
        }
        await Ok("check", "--read-data");
        await RestoredIsTheTreeAsync("restore-2");

        var wrong = await Restic("not-the-password", "snapshots");
        Assert.NotEqual(0, wrong.Exit);
        Assert.Contains("wrong password", wrong.Err, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// GetObjectAttributes (<c>GET /key?attributes</c>) was 501: <c>aws s3api get-object-attributes</c> and the SDKs'
    /// GetObjectAttributes — how a client checks a multipart object's parts and checksums without reading it — failed.
    /// The AWS CLI and the .NET SDK ask for a multipart object's parts (paged), a checksummed object's SHA-256, and its
    /// size and ETag; a missing key is NoSuchKey; an anonymous caller of the public bucket is refused.
    /// </summary>
    [Fact]
    public async Task AwsCliAndDotNetSdk_GetObjectAttributes_OfPartsChecksumsAndSizes()
    {
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var work = TestPaths.NewTempDirectory("og-attributes");
        var prefix = $"attributes-{Guid.NewGuid():N}/";
        async Task<JsonElement> Aws(params string[] arguments)
        {
            var run = await ExternalTool.RunAsync(aws, ["--endpoint-url", Endpoint, .. arguments], environment: AwsEnvironment());
            Assert.True(run.ExitCode == 0, $"aws {string.Join(' ', arguments)}: {run.Stderr}{run.Stdout}");
            return run.Stdout.Trim().Length == 0 ? default : JsonDocument.Parse(run.Stdout).RootElement.Clone();
        }
        var large = Path.Combine(work, "large.bin");
        await File.WriteAllBytesAsync(large, RandomNumberGenerator.GetBytes(20 * 1024 * 1024 + 5));
        var small = Path.Combine(work, "small.txt");
        await File.WriteAllTextAsync(small, "checksummed");
        var configFile = Path.Combine(work, "config");
        await File.WriteAllTextAsync(configFile, "[default]\ns3 =\n  multipart_chunksize = 8MB\n  multipart_threshold = 8MB\n");
        var upload = await ExternalTool.RunAsync(aws, ["--endpoint-url", Endpoint, "s3", "cp", large, $"s3://{GatewayProcess.DefaultBucket}/{prefix}large.bin"],
            environment: new Dictionary<string, string>(AwsEnvironment()) { ["AWS_CONFIG_FILE"] = configFile });
        Assert.True(upload.ExitCode == 0, upload.Stderr);
        await Aws("s3api", "put-object", "--bucket", GatewayProcess.DefaultBucket, "--key", prefix + "small.txt", "--body", small, "--checksum-algorithm", "SHA256");

        var parts = await Aws("s3api", "get-object-attributes", "--bucket", GatewayProcess.DefaultBucket, "--key", prefix + "large.bin",
            "--object-attributes", "ETag", "ObjectParts", "ObjectSize", "StorageClass", "--max-parts", "2");
        Assert.EndsWith("-3", parts.GetProperty("ETag").GetString(), StringComparison.Ordinal);
        Assert.Equal(20 * 1024 * 1024 + 5, parts.GetProperty("ObjectSize").GetInt64());
        Assert.Equal("STANDARD", parts.GetProperty("StorageClass").GetString());
        var objectParts = parts.GetProperty("ObjectParts");
        Assert.Equal(3, objectParts.GetProperty("TotalPartsCount").GetInt32());
        Assert.True(objectParts.GetProperty("IsTruncated").GetBoolean());
        Assert.Equal(2, objectParts.GetProperty("NextPartNumberMarker").GetInt32());
        Assert.Equal([8L * 1024 * 1024, 8L * 1024 * 1024], objectParts.GetProperty("Parts").EnumerateArray().Select(p => p.GetProperty("Size").GetInt64()));
        var rest = await Aws("s3api", "get-object-attributes", "--bucket", GatewayProcess.DefaultBucket, "--key", prefix + "large.bin",
            "--object-attributes", "ObjectParts", "--part-number-marker", "2");
        Assert.Equal([(3, 4L * 1024 * 1024 + 5)], rest.GetProperty("ObjectParts").GetProperty("Parts").EnumerateArray().Select(p => (p.GetProperty("PartNumber").GetInt32(), p.GetProperty("Size").GetInt64())));
        Assert.False(rest.GetProperty("ObjectParts").GetProperty("IsTruncated").GetBoolean());

        var checksummed = await Aws("s3api", "get-object-attributes", "--bucket", GatewayProcess.DefaultBucket, "--key", prefix + "small.txt", "--object-attributes", "Checksum", "ObjectParts");
        Assert.Equal(Convert.ToBase64String(SHA256.HashData("checksummed"u8)), checksummed.GetProperty("Checksum").GetProperty("ChecksumSHA256").GetString());
        Assert.False(checksummed.TryGetProperty("ObjectParts", out _));

        using var s3 = new Amazon.S3.AmazonS3Client(
            new Amazon.Runtime.BasicAWSCredentials(GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey),
            new Amazon.S3.AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var sdk = await s3.GetObjectAttributesAsync(new Amazon.S3.Model.GetObjectAttributesRequest
        {
            BucketName = GatewayProcess.DefaultBucket, Key = prefix + "large.bin",
            ObjectAttributes = [Amazon.S3.ObjectAttributes.ETag, Amazon.S3.ObjectAttributes.ObjectParts, Amazon.S3.ObjectAttributes.ObjectSize],
        });
        Assert.Equal(3, sdk.ObjectParts.TotalPartsCount);
        Assert.Equal(20 * 1024 * 1024 + 5, sdk.ObjectSize);
        Assert.Equal([1, 2, 3], sdk.ObjectParts.Parts.Select(p => p.PartNumber ?? 0));
        var missing = await Assert.ThrowsAnyAsync<Amazon.S3.AmazonS3Exception>(() => s3.GetObjectAttributesAsync(new Amazon.S3.Model.GetObjectAttributesRequest
        {
            BucketName = GatewayProcess.DefaultBucket, Key = prefix + "missing.bin", ObjectAttributes = [Amazon.S3.ObjectAttributes.ETag],
        }));
        Assert.Equal("NoSuchKey", missing.ErrorCode);

        // The default bucket is public-read: anyone may read its objects, not their attributes.
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, new Uri($"{Endpoint}/{GatewayProcess.DefaultBucket}/{prefix}small.txt?attributes"));
        anonymous.Headers.Add("x-amz-object-attributes", "ETag");
        using var refused = await new HttpClient().SendAsync(anonymous);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    /// <summary>
    /// The AWS CLI's <c>--expected-bucket-owner</c> (and a copy's <c>--expected-source-bucket-owner</c>) is the guard a
    /// migration script puts on every call so that it never writes into another account's bucket: a bucket owned by
    /// another account than the one named is 403 AccessDenied and nothing is done — the object is not stored, not
    /// copied, not deleted; the bucket's own account (its APPID, alone or as its ACL owner id) goes through.
    /// </summary>
    [Fact]
    public async Task AwsCli_ExpectedBucketOwner_RefusesAnotherAccountsBucket_AndDoesNothing()
    {
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var work = TestPaths.NewTempDirectory("og-expected-owner");
        var body = Path.Combine(work, "body.txt");
        await File.WriteAllTextAsync(body, "owned");
        var bucket = GatewayProcess.DefaultBucket;
        var account = bucket[(bucket.LastIndexOf('-') + 1)..];
        var prefix = $"owner-{Guid.NewGuid():N}/";
        Task<(int ExitCode, string Stdout, string Stderr)> Aws(params string[] arguments) =>
            ExternalTool.RunAsync(aws, ["--endpoint-url", Endpoint, .. arguments], environment: AwsEnvironment());
        async Task Refused(params string[] arguments)
        {
            var run = await Aws(arguments);
            Assert.True(run.ExitCode != 0, $"aws {string.Join(' ', arguments)} was let through: {run.Stdout}");
            Assert.Contains(arguments[1] == "head-bucket" || arguments[1] == "head-object" ? "403" : "AccessDenied", run.Stderr, StringComparison.Ordinal);
        }
        async Task Ok(params string[] arguments)
        {
            var run = await Aws(arguments);
            Assert.True(run.ExitCode == 0, $"aws {string.Join(' ', arguments)}: {run.Stderr}{run.Stdout}");
        }

        await Refused("s3api", "put-object", "--bucket", bucket, "--key", prefix + "a.txt", "--body", body, "--expected-bucket-owner", "111122223333");
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, prefix + "a.txt"))).StatusCode);
        await Ok("s3api", "put-object", "--bucket", bucket, "--key", prefix + "a.txt", "--body", body, "--expected-bucket-owner", account);
        await Ok("s3api", "head-object", "--bucket", bucket, "--key", prefix + "a.txt", "--expected-bucket-owner", $"qcs::cam::uin/{account}:uin/{account}");
        await Refused("s3api", "head-bucket", "--bucket", bucket, "--expected-bucket-owner", "111122223333");
        await Refused("s3api", "head-object", "--bucket", bucket, "--key", prefix + "a.txt", "--expected-bucket-owner", "111122223333");
        await Refused("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--expected-bucket-owner", "111122223333");

        await Refused("s3api", "copy-object", "--bucket", bucket, "--key", prefix + "b.txt", "--copy-source", $"{bucket}/{prefix}a.txt",
            "--expected-source-bucket-owner", "111122223333");
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, prefix + "b.txt"))).StatusCode);
        await Ok("s3api", "copy-object", "--bucket", bucket, "--key", prefix + "b.txt", "--copy-source", $"{bucket}/{prefix}a.txt",
            "--expected-source-bucket-owner", account, "--expected-bucket-owner", account);

        await Refused("s3api", "delete-object", "--bucket", bucket, "--key", prefix + "a.txt", "--expected-bucket-owner", "111122223333");
        Assert.Equal("owned", await _gateway.Client.GetStringAsync(new Uri(_gateway.DataUrl, prefix + "a.txt")));
        Assert.Equal("owned", await _gateway.Client.GetStringAsync(new Uri(_gateway.DataUrl, prefix + "b.txt")));
    }

    /// <summary>
    /// git-annex keeps a repository's large files in an S3 special remote. Its S3 library signs the bare host name
    /// while its HTTP client sends <c>host:port</c>, so on a gateway at a port of its own every call was
    /// SignatureDoesNotMatch (found by hand: <c>initremote</c> failed at its first request). Driven as its users drive
    /// it, at the gateway's own port: initremote (path style, Signature Version 4, 5 MiB parts), copy of a small, a
    /// 3 MB and a 12 MB (multipart) file, drop of the local copies, get back byte for byte, a full fsck of the remote
    /// (every object read and checksummed) and a drop from the remote; a wrong secret sets up nothing.
    /// </summary>
    [Fact]
    public async Task GitAnnex_KeepsLargeFilesInTheBucket_AtTheGatewaysOwnPort()
    {
        var gitAnnex = ExternalTool.RequireAt("/usr/bin/git-annex", "git-annex");
        var git = ExternalTool.RequireAt("/usr/bin/git", "git");
        var work = TestPaths.NewTempDirectory("og-git-annex");
        var repository = Directory.CreateDirectory(Path.Combine(work, "repo")).FullName;
        var prefix = $"annex-{Guid.NewGuid():N}/";
        async Task<(int Exit, string Out, string Err)> Run(string program, string secret, params string[] arguments) =>
            await ExternalTool.RunAsync(program, arguments, environment: new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = GatewayProcess.DevSecretId,
                ["AWS_SECRET_ACCESS_KEY"] = secret,
                ["HOME"] = work,
                ["GIT_CONFIG_NOSYSTEM"] = "1",
            }, unset: ["AWS_SESSION_TOKEN", "AWS_PROFILE"], workingDirectory: repository);
        async Task<string> Ok(string program, params string[] arguments)
        {
            var run = await Run(program, GatewayProcess.DevSecretKey, arguments);
            Assert.True(run.Exit == 0, $"{Path.GetFileName(program)} {string.Join(' ', arguments)}: {run.Err}{run.Out}");
            return run.Out;
        }
        string[] Remote(string name, string fileprefix) =>
        [
            "initremote", name, "type=S3", "encryption=none", "host=127.0.0.1", $"port={_gateway.DataUrl.Port}", "protocol=http",
            "requeststyle=path", $"bucket={GatewayFixture.PrivateBucket}", $"fileprefix={fileprefix}", "signature=v4", "partsize=5MiB",
        ];

        await Ok(git, "init", "-q");
        await Ok(git, "config", "user.email", "tester@example.com");
        await Ok(git, "config", "user.name", "tester");
        await Ok(gitAnnex, "init", "og-test");
        // git-annex refuses loopback and private addresses unless told otherwise.
        await Ok(git, "config", "annex.security.allowed-ip-addresses", "all");

        var wrong = await Run(gitAnnex, "not-the-secret", Remote("wrong", prefix));
        Assert.NotEqual(0, wrong.Exit);
        Assert.Contains("SignatureDoesNotMatch", wrong.Err + wrong.Out, StringComparison.Ordinal);

        await Ok(gitAnnex, Remote("gw", prefix));
        var files = new Dictionary<string, byte[]>
        {
            ["small.txt"] = "a small file\n"u8.ToArray(),
            ["three.bin"] = RandomNumberGenerator.GetBytes(3_000_000),
            ["twelve.bin"] = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 77),
        };
        foreach (var (name, bytes) in files)
        {
            await File.WriteAllBytesAsync(Path.Combine(repository, name), bytes);
        }
        await Ok(gitAnnex, "add", ".");
        await Ok(git, "commit", "-q", "-m", "large files");
        await Ok(gitAnnex, "copy", "--to", "gw", ".");
        await Ok(gitAnnex, "drop", "--force", ".");
        // Each file is now a link to content this repository no longer has.
        Assert.All(files.Keys, name => Assert.Throws<FileNotFoundException>(() => File.ReadAllBytes(Path.Combine(repository, name))));
        await Ok(gitAnnex, "get", "--from", "gw", ".");
        foreach (var (name, bytes) in files)
        {
            var got = await File.ReadAllBytesAsync(Path.Combine(repository, name));
            Assert.True(bytes.AsSpan().SequenceEqual(got), name);
        }
        await Ok(gitAnnex, "fsck", "--from", "gw");

        using var s3 = new Amazon.S3.AmazonS3Client(
            new Amazon.Runtime.BasicAWSCredentials(GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey),
            new Amazon.S3.AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        async Task<List<Amazon.S3.Model.S3Object>> StoredAsync() =>
            (await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = GatewayFixture.PrivateBucket, Prefix = prefix })).S3Objects ?? [];
        // Its own marker object and one object a file, each as large as the file.
        var stored = await StoredAsync();
        Assert.Equal(files.Values.Select(b => (long)b.Length).Order(), stored.Where(o => !o.Key.EndsWith("annex-uuid", StringComparison.Ordinal)).Select(o => o.Size ?? -1).Order());

        await Ok(gitAnnex, "drop", "--from", "gw", "--force", "twelve.bin");
        Assert.Equal(stored.Count - 1, (await StoredAsync()).Count);
        var kept = await File.ReadAllBytesAsync(Path.Combine(repository, "twelve.bin"));
        Assert.True(files["twelve.bin"].AsSpan().SequenceEqual(kept));
    }

    /// <summary>Runs Debian's s3cmd against the gateway path-style (its configuration and home in <paramref name="work"/>).</summary>
    private async Task<(int Exit, string Out, string Err)> S3cmdAsync(string work, string secret, params string[] arguments)
    {
        var s3cmd = ExternalTool.RequireAt("/usr/bin/s3cmd", "s3cmd");
        var hostPort = _gateway.DataUrl.Authority;
        var config = Path.Combine(work, $"s3cfg-{secret}");
        await File.WriteAllTextAsync(config, $"[default]\naccess_key = {GatewayProcess.DevSecretId}\nsecret_key = {secret}\nhost_base = {hostPort}\nhost_bucket = {hostPort}\n"
            + "use_https = False\nbucket_location = us-east-1\nsignature_v2 = False\nprogress_meter = False\n");
        return await ExternalTool.RunAsync(s3cmd, ["-c", config, .. arguments], environment: new Dictionary<string, string> { ["HOME"] = work });
    }

    private async Task<string> S3cmdOkAsync(string work, params string[] arguments)
    {
        var run = await S3cmdAsync(work, GatewayProcess.DevSecretKey, arguments);
        Assert.True(run.Exit == 0, $"s3cmd {string.Join(' ', arguments)}: {run.Err}{run.Out}");
        return run.Out;
    }

    [Fact]
    public async Task S3cmd_ListsPutsGetsMultipartCopiesSignsBothVersions_AndDeletesRecursively()
    {
        var work = TestPaths.NewTempDirectory("og-s3cmd");
        var bucket = $"s3://{GatewayProcess.DefaultBucket}";
        Task<(int Exit, string Out, string Err)> S3cmd(string secret, params string[] arguments) => S3cmdAsync(work, secret, arguments);
        Task<string> Ok(params string[] arguments) => S3cmdOkAsync(work, arguments);

        Assert.Contains(bucket, await Ok("ls"), StringComparison.Ordinal);

        // Small put with metadata, read back; 64 MiB in 8 MiB parts; a copy keeps the metadata.
        var small = Path.Combine(work, "small.txt");
        await File.WriteAllTextAsync(small, "hello from s3cmd");
        await Ok("put", small, $"{bucket}/s3cmd/small.txt", "--add-header=x-amz-meta-color:blue", "--mime-type=text/plain");
        await Ok("get", $"{bucket}/s3cmd/small.txt", Path.Combine(work, "small.back"));
        Assert.Equal("hello from s3cmd", await File.ReadAllTextAsync(Path.Combine(work, "small.back")));
        var info = await Ok("info", $"{bucket}/s3cmd/small.txt");
        Assert.Contains("x-amz-meta-color: blue", info, StringComparison.Ordinal);
        Assert.Contains("text/plain", info, StringComparison.Ordinal);
        var bigFile = Path.Combine(work, "big.bin");
        var big = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        await File.WriteAllBytesAsync(bigFile, big);
        await Ok("put", bigFile, $"{bucket}/s3cmd/big.bin", "--multipart-chunk-size-mb=8");
        var head = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, "s3cmd/big.bin")).Sign());
        Assert.Matches("-8\"$", head.Headers.ETag!.Tag);
        await Ok("get", $"{bucket}/s3cmd/big.bin", Path.Combine(work, "big.back"));
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(work, "big.back"))));
        await Ok("cp", $"{bucket}/s3cmd/small.txt", $"{bucket}/s3cmd/copy.txt");
        Assert.Contains("x-amz-meta-color: blue", await Ok("info", $"{bucket}/s3cmd/copy.txt"), StringComparison.Ordinal);

        // An awkward key; a presigned URL (Signature Version 2), valid and tampered; a listing signed with Version 2.
        await Ok("put", small, $"{bucket}/s3cmd/a b/ü+%.txt");
        Assert.Contains("s3cmd/a b/ü+%.txt", await Ok("ls", $"{bucket}/s3cmd/a b/"), StringComparison.Ordinal);
        var url = (await Ok("signurl", $"{bucket}/s3cmd/small.txt", "+600")).Trim();
        Assert.Contains("AWSAccessKeyId=", url, StringComparison.Ordinal);
        using (var plain = new HttpClient())
        {
            Assert.Equal("hello from s3cmd", await plain.GetStringAsync(url));
            Assert.Equal(HttpStatusCode.Forbidden, (await plain.GetAsync(url.Replace("Signature=", "Signature=AAAA", StringComparison.Ordinal))).StatusCode);
        }
        Assert.Contains("s3cmd/small.txt", await Ok("--signature-v2", "ls", $"{bucket}/s3cmd/"), StringComparison.Ordinal);

        // 2,500 keys (seeded through the COS API) listed recursively: s3cmd pages by 1000 with markers.
        var keys = Enumerable.Range(0, 2500).Select(i => $"s3cmd/many/{i:00000}").ToList();
        await SeedAsync(keys);
        var listed = (await Ok("ls", "--recursive", $"{bucket}/s3cmd/many/")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l[(l.IndexOf("s3://", StringComparison.Ordinal) + bucket.Length + 1)..]).ToList();
        Assert.True(keys.SequenceEqual(listed), $"{listed.Count} keys listed");

        // A recursive delete (Multi-Object Delete in batches), then nothing is left; a wrong secret is refused.
        await Ok("del", "--recursive", "--force", $"{bucket}/s3cmd/");
        Assert.Equal("", await Ok("ls", "--recursive", $"{bucket}/s3cmd/"));
        var refused = await S3cmd("not-the-secret", "ls", $"{bucket}/");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("SignatureDoesNotMatch", refused.Err, StringComparison.Ordinal);
    }

    /// <summary>
    /// s3cmd keeps an object's ACL across a change by reading it (<c>GET ?acl</c>) and writing it back (<c>PUT ?acl</c>)
    /// after the copy onto itself that <c>modify</c> is. Written back, the ACL of an object that follows its bucket —
    /// the owner's full control, nothing else — must not close it: a public-read bucket's object stays readable by
    /// everyone after its headers are changed, as an S3 object under a public bucket policy does.
    /// </summary>
    [Fact]
    public async Task S3cmd_ModifyAndSetacl_LeaveWhoMayReadAnObject_AsItWas()
    {
        var work = TestPaths.NewTempDirectory("og-s3cmd-acl");
        var file = Path.Combine(work, "page.html");
        await File.WriteAllTextAsync(file, "<p>public page</p>");
        using var anonymous = new HttpClient();
        async Task<HttpResponseMessage> ReadAsync(string bucketAndKey) =>
            await anonymous.GetAsync(new Uri(_gateway.DataUrl, bucketAndKey));

        // The default bucket is public-read: its object follows it.
        var page = $"{GatewayProcess.DefaultBucket}/site/page.html";
        await S3cmdOkAsync(work, "put", file, $"s3://{page}", "--mime-type=text/html");
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(page)).StatusCode);
        await S3cmdOkAsync(work, "modify", "--add-header=Cache-Control:max-age=60", "--add-header=x-amz-meta-owner:web", $"s3://{page}");
        using (var read = await ReadAsync(page))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("<p>public page</p>", await read.Content.ReadAsStringAsync());
            Assert.Equal("max-age=60", read.Headers.CacheControl!.ToString());
            Assert.Equal("web", read.Headers.GetValues("x-cos-meta-owner").Single());
        }
        // setacl rewrites the document the same way: --acl-private is S3's private, which under a public bucket
        // leaves the object readable (as x-amz-acl: private does); --acl-public and a modify after it keep it public.
        await S3cmdOkAsync(work, "setacl", "--acl-private", $"s3://{page}");
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(page)).StatusCode);

        // The private bucket: an object made public stays public through a modify, and closes again.
        var open = $"{GatewayFixture.PrivateBucket}/site/open.html";
        await S3cmdOkAsync(work, "put", file, $"s3://{open}");
        Assert.Equal(HttpStatusCode.Forbidden, (await ReadAsync(open)).StatusCode);
        await S3cmdOkAsync(work, "setacl", "--acl-public", $"s3://{open}");
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(open)).StatusCode);
        await S3cmdOkAsync(work, "modify", "--add-header=Cache-Control:no-cache", $"s3://{open}");
        using (var read = await ReadAsync(open))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("no-cache", read.Headers.CacheControl!.ToString());
        }
        await S3cmdOkAsync(work, "setacl", "--acl-private", $"s3://{open}");
        Assert.Equal(HttpStatusCode.Forbidden, (await ReadAsync(open)).StatusCode);
    }

    [Fact]
    public async Task Curl_AddressesBucketsVirtualHostStyle_UnderAnS3Domain_AndAnUnknownBucketIsNoSuchBucket()
    {
        var curl = ExternalTool.RequireAt("/usr/bin/curl", "curl");
        await using var gateway = await GatewayProcess.StartAsync(["--S3Domains:0=s3.example.test"]);
        var port = gateway.DataUrl.Port;
        var file = Path.Combine(TestPaths.NewTempDirectory("og-curl-s3"), "hello.txt");
        await File.WriteAllTextAsync(file, "hello by virtual host");
        async Task<(int Exit, string Out, string Err)> Curl(string host, string path, params string[] more) =>
            await ExternalTool.RunAsync(curl, ["-s", "--aws-sigv4", "aws:amz:us-east-1:s3", "-u", $"{GatewayProcess.DevSecretId}:{GatewayProcess.DevSecretKey}",
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--connect-to", $"{host}:{port}:127.0.0.1:{port}", "-w", "\n%{http_code}", .. more, $"http://{host}:{port}{path}"]);
        var bucketHost = $"{GatewayProcess.DefaultBucket}.s3.example.test";

        var put = await Curl(bucketHost, "/vhost/hello.txt", "-T", file);
        var get = await Curl(bucketHost, "/vhost/hello.txt");
        var pathStyle = await Curl("s3.example.test", $"/{GatewayProcess.DefaultBucket}/vhost/hello.txt");
        var service = await Curl("s3.example.test", "/");
        var unknown = await Curl("no-such-bucket.s3.example.test", "/vhost/hello.txt");

        Assert.EndsWith("\n200", put.Out, StringComparison.Ordinal);
        Assert.Equal("hello by virtual host\n200", get.Out);
        Assert.Equal("hello by virtual host\n200", pathStyle.Out);
        Assert.Contains($"<Name>{GatewayProcess.DefaultBucket}</Name>", service.Out, StringComparison.Ordinal);
        Assert.Contains("<ListAllMyBucketsResult", service.Out, StringComparison.Ordinal);
        Assert.Contains("<Code>NoSuchBucket</Code>", unknown.Out, StringComparison.Ordinal);
        Assert.EndsWith("\n404", unknown.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AwsSdkForDotNet_SignedChunkUploads_AreDecodedAndVerified_AndAForgedChunkStoresNothing()
    {
        var seen = new List<string>();
        Amazon.S3.AmazonS3Client Client(Amazon.Runtime.RequestChecksumCalculation checksums) => new(
            new Amazon.Runtime.BasicAWSCredentials(GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey),
            new Amazon.S3.AmazonS3Config
            {
                ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
                RequestChecksumCalculation = checksums, HttpClientFactory = new RecordingHttpClientFactory(request =>
                {
                    if (request.Headers.TryGetValues("x-amz-content-sha256", out var values))
                    {
                        lock (seen)
                        {
                            seen.AddRange(values);
                        }
                    }
                }),
            });
        // Without a checksum, the SDK signs every chunk; with its default CRC32, it adds a signed trailer.
        using var s3 = Client(Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED);
        using var withChecksum = Client(Amazon.Runtime.RequestChecksumCalculation.WHEN_SUPPORTED);
        var body = RandomNumberGenerator.GetBytes(300_000);
        async Task<byte[]> GetAsync(string key)
        {
            using var got = await s3.GetObjectAsync(GatewayProcess.DefaultBucket, key);
            using var copy = new MemoryStream();
            await got.ResponseStream.CopyToAsync(copy);
            return copy.ToArray();
        }

        await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = GatewayProcess.DefaultBucket, Key = "net/chunked.bin", InputStream = new MemoryStream(body), UseChunkEncoding = true });
        var trailed = await withChecksum.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = GatewayProcess.DefaultBucket, Key = "net/trailer.bin", InputStream = new MemoryStream(body), UseChunkEncoding = true });

        Assert.Equal(body, await GetAsync("net/chunked.bin"));
        Assert.Equal(body, await GetAsync("net/trailer.bin"));
        // The trailing CRC32 is kept: the PUT answers it, and a GET with ChecksumMode ENABLED gives it back (the SDK then
        // checks the body against it).
        Assert.False(string.IsNullOrEmpty(trailed.ChecksumCRC32), "the PUT did not answer the trailer's CRC32");
        using (var verified = await withChecksum.GetObjectAsync(new Amazon.S3.Model.GetObjectRequest { BucketName = GatewayProcess.DefaultBucket, Key = "net/trailer.bin", ChecksumMode = Amazon.S3.ChecksumMode.ENABLED }))
        {
            await verified.ResponseStream.CopyToAsync(Stream.Null);
            Assert.Equal(trailed.ChecksumCRC32, verified.ChecksumCRC32);
        }
        Assert.True(seen.Contains("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), string.Join(", ", seen));
        Assert.Contains("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", seen);

        // The same framing with one byte of a chunk changed: the chunk signature fails, nothing is stored.
        var now = DateTimeOffset.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var scope = S3Signature.Scope(amzDate[..8], "us-east-1", "s3");
        var key = S3Signature.SigningKey(GatewayProcess.DevSecretKey, amzDate[..8], "us-east-1", "s3");
        var path = $"/{GatewayProcess.DefaultBucket}/net/forged.bin";
        string[] headerNames = ["content-encoding", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length"];
        var canonical = S3Signature.CanonicalRequest("PUT", path, [],
            [("content-encoding", "aws-chunked"), ("host", _gateway.DataUrl.Authority), ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("x-amz-date", amzDate), ("x-amz-decoded-content-length", "10")],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        var seed = S3Signature.Signature(key, S3Signature.StringToSign(amzDate, scope, canonical));
        var chunkSignature = S3Signature.ChunkSignature(key, amzDate, scope, seed, Convert.ToHexStringLower(SHA256.HashData("0123456789"u8)));
        var final = S3Signature.ChunkSignature(key, amzDate, scope, chunkSignature, S3Signature.EmptyPayloadHash);
        HttpRequestMessage Put(string data)
        {
            var framed = System.Text.Encoding.ASCII.GetBytes($"a;chunk-signature={chunkSignature}\r\n{data}\r\n0;chunk-signature={final}\r\n\r\n");
            var put = new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, path.TrimStart('/'))) { Content = new ByteArrayContent(framed) };
            put.Content.Headers.TryAddWithoutValidation("Content-Encoding", "aws-chunked");
            put.Headers.TryAddWithoutValidation("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
            put.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
            put.Headers.TryAddWithoutValidation("x-amz-decoded-content-length", "10");
            put.Headers.TryAddWithoutValidation("Authorization", $"{S3Signature.Algorithm} Credential={GatewayProcess.DevSecretId}/{scope}, SignedHeaders={string.Join(';', headerNames)}, Signature={seed}");
            return put;
        }

        var forged = await _gateway.Client.SendAsync(Put("0123456780"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_gateway.DataUrl, "net/forged.bin")).Sign())).StatusCode);
        // The genuine body, framed the same way, is stored as its ten bytes — without the aws-chunked coding.
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Client.SendAsync(Put("0123456789"))).StatusCode);
        var stored = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.DataUrl, "net/forged.bin")).Sign());
        Assert.Equal("0123456789", await stored.Content.ReadAsStringAsync());
        Assert.Empty(stored.Content.Headers.ContentEncoding);
    }

    /// <summary>
    /// The .NET SDK's TransferUtility downloads by part (the default of its parallel downloads, <c>DownloadWithResponseAsync</c>
    /// and <c>OpenStreamWithResponseAsync</c>): <c>GET ?partNumber=1</c> first, then the other parts of a multipart object at
    /// once, each with the part boundaries of its upload and If-Match. Before, the part GET was refused as not implemented
    /// and every such download failed. A multipart object (23 MiB in parts of
    /// 5 MiB), a single-part one and an empty one download whole; the parts the SDK asked for are the object's.
    /// </summary>
    [Fact]
    public async Task AwsSdkForDotNet_TransferUtility_DownloadsMultipartObjectsByPart()
    {
        var asked = new List<string>();
        using var s3 = new Amazon.S3.AmazonS3Client(
            new Amazon.Runtime.BasicAWSCredentials(GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey),
            new Amazon.S3.AmazonS3Config
            {
                ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
                HttpClientFactory = new RecordingHttpClientFactory(request =>
                {
                    if (request.Method == HttpMethod.Get && request.RequestUri!.Query.Contains("partNumber=", StringComparison.Ordinal))
                    {
                        lock (asked)
                        {
                            asked.Add(request.RequestUri.AbsolutePath + request.RequestUri.Query);
                        }
                    }
                }),
            });
        using var transfer = new Amazon.S3.Transfer.TransferUtility(s3);
        var work = TestPaths.NewTempDirectory("og-transfer-utility");
        var prefix = $"tu-{Guid.NewGuid():N}/";
        var objects = new Dictionary<string, byte[]>
        {
            ["multipart.bin"] = RandomNumberGenerator.GetBytes(23 * 1024 * 1024),
            ["single.bin"] = RandomNumberGenerator.GetBytes(300_000),
            ["empty.bin"] = [],
        };
        foreach (var (name, body) in objects)
        {
            await File.WriteAllBytesAsync(Path.Combine(work, name), body);
            await transfer.UploadAsync(new Amazon.S3.Transfer.TransferUtilityUploadRequest
            {
                BucketName = GatewayProcess.DefaultBucket, Key = prefix + name, FilePath = Path.Combine(work, name), PartSize = 5 * 1024 * 1024,
            });
        }

        foreach (var (name, body) in objects)
        {
            var local = Path.Combine(work, "down-" + name);
            await transfer.DownloadWithResponseAsync(new Amazon.S3.Transfer.TransferUtilityDownloadRequest { BucketName = GatewayProcess.DefaultBucket, Key = prefix + name, FilePath = local });
            var downloaded = await File.ReadAllBytesAsync(local);
            Assert.True(body.AsSpan().SequenceEqual(downloaded), name);
        }
        using (var opened = await transfer.OpenStreamWithResponseAsync(GatewayProcess.DefaultBucket, prefix + "multipart.bin"))
        using (var read = new MemoryStream())
        {
            await opened.ResponseStream.CopyToAsync(read);
            Assert.True(objects["multipart.bin"].AsSpan().SequenceEqual(read.ToArray()), "streamed");
        }
        // The five parts of the multipart object (four of 5 MiB and one of 3 MiB), twice; one of the single-part object.
        var multipartParts = asked.Where(a => a.Contains("multipart.bin", StringComparison.Ordinal)).Select(a => a[(a.LastIndexOf('=') + 1)..]).Order().ToList();
        Assert.Equal(["1", "1", "2", "2", "3", "3", "4", "4", "5", "5"], multipartParts);
        Assert.Single(asked, a => a.Contains("single.bin", StringComparison.Ordinal));

        using var part = await s3.GetObjectAsync(new Amazon.S3.Model.GetObjectRequest { BucketName = GatewayProcess.DefaultBucket, Key = prefix + "multipart.bin", PartNumber = 5 });
        Assert.Equal(5, part.PartsCount);
        Assert.Equal(3 * 1024 * 1024, part.ContentLength);
        Assert.Equal($"bytes {20 * 1024 * 1024}-{23 * 1024 * 1024 - 1}/{23 * 1024 * 1024}", part.ContentRange);
        var beyond = await Assert.ThrowsAsync<Amazon.S3.AmazonS3Exception>(() => s3.GetObjectAsync(new Amazon.S3.Model.GetObjectRequest { BucketName = GatewayProcess.DefaultBucket, Key = prefix + "multipart.bin", PartNumber = 6 }));
        Assert.Equal("InvalidPartNumber", beyond.ErrorCode);
        Directory.Delete(work, recursive: true);
    }

    /// <summary>Gives the .NET SDK an HTTP client that shows each request it sends to <paramref name="note"/> (what upload form it chose, which parts it asked for).</summary>
    private sealed class RecordingHttpClientFactory(Action<HttpRequestMessage> note) : Amazon.Runtime.HttpClientFactory
    {
        public override HttpClient CreateHttpClient(Amazon.Runtime.IClientConfig clientConfig) => new(new Recorder(note, new HttpClientHandler()));

        private sealed class Recorder(Action<HttpRequestMessage> note, HttpMessageHandler inner) : DelegatingHandler(inner)
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                note(request);
                return base.SendAsync(request, cancellationToken);
            }
        }
    }
}
