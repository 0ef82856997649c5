using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Security;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// The S3 dialect judged by real S3 tools, driven as their users drive them: boto3 (Debian's python3-boto3)
/// and the AWS CLI v2 (Debian's awscli), path-style, the gateway's credential as access key and secret,
/// endpoint and credentials always explicit.
/// </summary>
public sealed class S3ToolsTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync();

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    private string Endpoint => _gateway.DataUrl.ToString().TrimEnd('/');

    private static Dictionary<string, string> AwsEnvironment(string secret = GatewayProcess.DevSecretKey) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = GatewayProcess.DevSecretId,
        ["AWS_SECRET_ACCESS_KEY"] = secret,
        ["AWS_DEFAULT_REGION"] = "us-east-1",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        ["AWS_PAGER"] = "",
    };

    [Fact]
    public async Task Boto3_ListsBucketsAndPagesExactly_ReadsWritesPresignsAndDeletes()
    {
        var python = ExternalTool.RequireAt("/usr/bin/python3", "python3-boto3");
        ExternalTool.RequireAt("/usr/lib/python3/dist-packages/boto3/__init__.py", "python3-boto3");
        var script = Path.Combine(TestPaths.RepositoryRoot, "tests", "clients", "boto3_s3.py");

        var (exit, stdout, stderr) = await ExternalTool.RunAsync(python, [script, Endpoint, GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket]);

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
        Assert.True(root.GetProperty("version_null_deleted").GetBoolean());
    }

    [Fact]
    public async Task AwsCli_ListsBuckets_CopiesBothWays_PagesASmallBucket_AndRefusesAWrongSecret()
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
}
