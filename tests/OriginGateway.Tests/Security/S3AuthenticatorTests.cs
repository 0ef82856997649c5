using System.Globalization;
using Microsoft.AspNetCore.Http;
using OriginGateway.Security;

namespace OriginGateway.Tests.Security;

/// <summary>
/// Which spellings of the host a Signature Version 4 may have been computed over: the header as sent, and — because
/// clients disagree on ports — the host name without the port the header carries, or with the default port it
/// leaves out. Nothing else: another host name or another port is refused.
/// </summary>
public sealed class S3AuthenticatorTests
{
    private const string AccessKey = "AKIDTESTTESTTEST";
    private const string SecretKey = "test-secret-key";
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 3, 30, 0, TimeSpan.Zero);
    private static readonly string AmzDate = Now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
    private static readonly string Date = Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private readonly S3Authenticator _authenticator = new(
        new CredentialStore([new CredentialOptions { SecretId = AccessKey, SecretKey = SecretKey }]), new ManualTimeProvider(Now));

    /// <summary>A GET of <c>/bucket/a.txt</c> whose Host header is <paramref name="sentHost"/>, signed as if it were <paramref name="signedHost"/>.</summary>
    private static IHeaderDictionary SignedHeaders(string sentHost, string signedHost, string secretKey = SecretKey)
    {
        var signingKey = S3Signature.SigningKey(secretKey, Date, "us-east-1", "s3");
        var canonical = S3Signature.CanonicalRequest("GET", "/bucket/a.txt", [],
            [("host", signedHost), ("x-amz-content-sha256", S3Signature.EmptyPayloadHash), ("x-amz-date", AmzDate)], S3Signature.EmptyPayloadHash);
        var signature = S3Signature.Signature(signingKey, S3Signature.StringToSign(AmzDate, S3Signature.Scope(Date, "us-east-1", "s3"), canonical));
        return new HeaderDictionary
        {
            ["Host"] = sentHost,
            ["x-amz-content-sha256"] = S3Signature.EmptyPayloadHash,
            ["x-amz-date"] = AmzDate,
            ["Authorization"] = $"{S3Signature.Algorithm} Credential={AccessKey}/{Date}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
        };
    }

    private CosAuthResult Authenticate(IHeaderDictionary headers) => _authenticator.Authenticate("GET", "/bucket/a.txt", "/bucket/a.txt", [], headers);

    [Theory]
    [InlineData("127.0.0.1:8080", "127.0.0.1:8080")]
    [InlineData("s3.example.com", "s3.example.com")]
    [InlineData("127.0.0.1:8080", "127.0.0.1")]
    [InlineData("[::1]:8080", "[::1]")]
    [InlineData("s3.example.com:443", "s3.example.com")]
    [InlineData("s3.example.com", "s3.example.com:443")]
    [InlineData("127.0.0.1", "127.0.0.1:80")]
    public void ASignatureOverTheHostAsSent_OrOverItsPortSpelledTheOtherWay_IsAccepted(string sentHost, string signedHost)
    {
        var result = Authenticate(SignedHeaders(sentHost, signedHost));

        Assert.False(result.Failed, result.Message);
        Assert.Equal(AccessKey, result.Credential!.SecretId);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "127.0.0.2")]
    [InlineData("127.0.0.1:8080", "127.0.0.1:9000")]
    [InlineData("127.0.0.1:8080", "127.0.0.1:80")]
    [InlineData("s3.example.com", "s3.example.com:8080")]
    [InlineData("s3.example.com", "other.example.com")]
    [InlineData("s3.example.com:8080", "other.example.com")]
    public void ASignatureOverAnotherHostNameOrPort_IsRefused(string sentHost, string signedHost)
    {
        var result = Authenticate(SignedHeaders(sentHost, signedHost));

        Assert.True(result.Failed);
        Assert.Equal("SignatureDoesNotMatch", result.ErrorCode);
    }

    [Fact]
    public void AnotherKey_IsRefusedWhateverTheHostSpelling_AndTheErrorShowsTheHostAsSent()
    {
        var result = Authenticate(SignedHeaders("127.0.0.1:8080", "127.0.0.1", secretKey: "not-the-secret"));

        Assert.True(result.Failed);
        Assert.Equal("SignatureDoesNotMatch", result.ErrorCode);
        var canonical = result.Details!.Single(d => d.Name == "CanonicalRequest").Value;
        Assert.Contains("\nhost:127.0.0.1:8080\n", canonical);
    }
}

/// <summary>The signature of a browser form upload: the policy field as sent, signed with Version 4 or Version 2.</summary>
public sealed class S3FormSignatureTests
{
    private static S3Authenticator Authenticator(string accessKey, string secretKey) => new(
        new CredentialStore([new CredentialOptions { SecretId = accessKey, SecretKey = secretKey }]), new ManualTimeProvider(DateTimeOffset.UnixEpoch));

    [Fact]
    public void AwsExample_SignatureVersion4_IsVerified()
    {
        var result = Authenticator("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").AuthenticateForm(PostPolicyTests.AwsExampleFields());

        Assert.False(result.Failed, result.Message);
        Assert.Equal("AKIAIOSFODNN7EXAMPLE", result.Credential!.SecretId);
    }

    [Fact]
    public void AwsExample_WithAnotherSecretOrATamperedPolicy_IsRefused()
    {
        Assert.Equal("SignatureDoesNotMatch", Authenticator("AKIAIOSFODNN7EXAMPLE", "another-secret").AuthenticateForm(PostPolicyTests.AwsExampleFields()).ErrorCode);
        var fields = PostPolicyTests.AwsExampleFields();
        fields["policy"] = fields["policy"][..^4] + "fQ==";
        Assert.Equal("SignatureDoesNotMatch", Authenticator("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").AuthenticateForm(fields).ErrorCode);
    }

    [Fact]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "Signature Version 2 is HMAC-SHA1 by definition.")]
    public void SignatureVersion2_IsTheBase64HmacSha1OfThePolicy()
    {
        const string policy = "eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbXX0=";
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA1.HashData("secret"u8, System.Text.Encoding.ASCII.GetBytes(policy)));
        var authenticator = Authenticator("AKIDV2", "secret");

        var result = authenticator.AuthenticateForm(new Dictionary<string, string> { ["awsaccesskeyid"] = "AKIDV2", ["signature"] = signature, ["policy"] = policy });

        Assert.False(result.Failed, result.Message);
        Assert.Equal("InvalidAccessKeyId", authenticator.AuthenticateForm(new Dictionary<string, string> { ["awsaccesskeyid"] = "AKIDOTHER", ["signature"] = signature, ["policy"] = policy }).ErrorCode);
        Assert.Equal("SignatureDoesNotMatch", authenticator.AuthenticateForm(new Dictionary<string, string> { ["awsaccesskeyid"] = "AKIDV2", ["signature"] = "AAAA" + signature[4..], ["policy"] = policy }).ErrorCode);
    }

    [Fact]
    public void AFormWithoutSignatureFields_IsAnonymous_AndOneWithBothOrWithoutAPolicy_IsRefused()
    {
        var authenticator = Authenticator("AKIDV2", "secret");

        Assert.True(authenticator.AuthenticateForm(new Dictionary<string, string> { ["key"] = "a" }).IsAnonymous);
        Assert.Equal("InvalidArgument", authenticator.AuthenticateForm(new Dictionary<string, string> { ["awsaccesskeyid"] = "AKIDV2", ["signature"] = "s" }).ErrorCode);
        var both = PostPolicyTests.AwsExampleFields();
        both["awsaccesskeyid"] = "AKIDV2";
        Assert.Equal("InvalidArgument", authenticator.AuthenticateForm(both).ErrorCode);
    }
}

/// <summary>
/// Every x-amz-* and x-cos-* header of a request must be covered by its signature (S3's rule; the x-cos-* twins are
/// read as the same directives): Version 4 names them in SignedHeaders, Version 2 signs every x-amz-* header and no
/// x-cos-* one. The refusal is S3's: 403 AccessDenied with HeadersNotSigned.
/// </summary>
public sealed class S3UnsignedHeaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 3, 30, 0, TimeSpan.Zero);
    private readonly S3Authenticator _authenticator = new(new CredentialStore([new CredentialOptions { SecretId = "AKIDU", SecretKey = "secret" }]), new ManualTimeProvider(Now));

    /// <summary>A Version 4 PUT signing host, the payload hash, the date and <paramref name="signed"/>; <paramref name="unsigned"/> sent beside them.</summary>
    private CosAuthResult Version4(IEnumerable<(string Name, string Value)> signed, IEnumerable<(string Name, string Value)> unsigned)
    {
        var amzDate = Now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var headers = new List<(string Name, string Value)> { ("host", "127.0.0.1:8080"), ("x-amz-content-sha256", S3Signature.UnsignedPayload), ("x-amz-date", amzDate) };
        headers.AddRange(signed);
        headers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var canonical = S3Signature.CanonicalRequest("PUT", "/bucket/a.txt", [], headers, S3Signature.UnsignedPayload);
        var signature = S3Signature.Signature(S3Signature.SigningKey("secret", date, "us-east-1", "s3"), S3Signature.StringToSign(amzDate, S3Signature.Scope(date, "us-east-1", "s3"), canonical));
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers.Concat(unsigned))
        {
            dictionary[name] = value;
        }
        dictionary["Authorization"] = $"{S3Signature.Algorithm} Credential=AKIDU/{date}/us-east-1/s3/aws4_request, SignedHeaders={string.Join(';', headers.Select(h => h.Name))}, Signature={signature}";
        return _authenticator.Authenticate("PUT", "/bucket/a.txt", "/bucket/a.txt", [], dictionary);
    }

    [Fact]
    public void Version4_DirectiveHeadersItSigns_AreAccepted()
    {
        var result = Version4([("x-amz-acl", "public-read"), ("x-amz-meta-color", "blue"), ("x-cos-meta-size", "L")], []);

        Assert.False(result.Failed, result.Message);
    }

    [Theory]
    [InlineData("x-amz-copy-source", "/bucket/secret.txt")]
    [InlineData("x-amz-acl", "public-read")]
    [InlineData("X-Amz-Meta-Size", "L")]
    [InlineData("x-cos-copy-source", "bucket.cos.ap-guangzhou.myqcloud.com/secret.txt")]
    [InlineData("x-cos-acl", "public-read")]
    public void Version4_ADirectiveHeaderItDoesNotSign_IsAccessDenied_NamingIt(string name, string value)
    {
        var result = Version4([("x-amz-meta-color", "blue")], [(name, value)]);

        Assert.Equal((403, "AccessDenied"), (result.Status, result.ErrorCode));
        Assert.Contains(("HeadersNotSigned", name.ToLowerInvariant()), result.Details!);
    }

    [Fact]
    public void Version4_OtherHeadersItDoesNotSign_AreAccepted()
    {
        var result = Version4([], [("content-type", "text/plain"), ("user-agent", "tool/1.0"), ("x-amzn-trace-id", "Root=1-abc")]);

        Assert.False(result.Failed, result.Message);
    }

    [Fact]
    public void Version2_SignsEveryAmzHeader_ButAnXCosHeaderIsNeverSigned()
    {
        var date = Now.ToString("r", CultureInfo.InvariantCulture);
        CosAuthResult Send(params (string Name, string Value)[] extra)
        {
            var amz = extra.Where(h => h.Name.StartsWith("x-amz-", StringComparison.Ordinal)).ToList();
            var stringToSign = S3Signature.StringToSignV2("PUT", "", "", date, amz, "/bucket/a.txt", []);
            var headers = new HeaderDictionary { ["Date"] = date, ["Authorization"] = "AWS AKIDU:" + S3Signature.SignatureV2("secret", stringToSign) };
            foreach (var (name, value) in extra)
            {
                headers[name] = value;
            }
            return _authenticator.Authenticate("PUT", "/bucket/a.txt", "/bucket/a.txt", [], headers);
        }

        Assert.False(Send(("x-amz-acl", "public-read"), ("x-amz-meta-color", "blue")).Failed);
        var refused = Send(("x-amz-meta-color", "blue"), ("x-cos-acl", "public-read"));
        Assert.Equal((403, "AccessDenied"), (refused.Status, refused.ErrorCode));
        Assert.Contains(("HeadersNotSigned", "x-cos-acl"), refused.Details!);
    }

    [Fact]
    public void Version2_APresignedUrlsAmzParameters_AreSignedAsTheHeadersTheyStandFor()
    {
        var expires = Now.AddMinutes(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var stringToSign = S3Signature.StringToSignV2("PUT", "", "", expires, [("x-amz-acl", "public-read"), ("x-amz-meta-color", "green")], "/bucket/a.txt", []);
        List<KeyValuePair<string, string>> Query(string acl) =>
            [new("AWSAccessKeyId", "AKIDU"), new("Signature", S3Signature.SignatureV2("secret", stringToSign)), new("x-amz-meta-color", "green"), new("x-amz-acl", acl), new("Expires", expires)];

        Assert.False(_authenticator.Authenticate("PUT", "/bucket/a.txt", "/bucket/a.txt", Query("public-read"), new HeaderDictionary()).Failed);
        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("PUT", "/bucket/a.txt", "/bucket/a.txt", Query("private"), new HeaderDictionary()).ErrorCode);
        // COS's own sub-resources are not in Version 2's resource: a presigned URL may not carry them.
        var appended = _authenticator.Authenticate("PUT", "/bucket/a.txt", "/bucket/a.txt", [.. Query("public-read"), new("append", ""), new("position", "0")], new HeaderDictionary());
        Assert.Equal((403, "AccessDenied"), (appended.Status, appended.ErrorCode));
        Assert.Contains(("ParametersNotSigned", "append, position"), appended.Details!);
    }
}

/// <summary>Signature Version 2's resource for a bucket addressed by the path alone.</summary>
public sealed class S3SignatureVersion2ResourceTests
{
    [Theory]
    [InlineData("/bucket")]
    [InlineData("/bucket/")]
    public void APathStyleBucket_SignedAsSlashBucketSlash_OrAsSent_IsAccepted(string signedResource)
    {
        var now = new DateTimeOffset(2026, 12, 4, 3, 30, 0, TimeSpan.Zero);
        var date = now.ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        var stringToSign = S3Signature.StringToSignV2("GET", "", "", date, [], signedResource, []);
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary { ["Date"] = date, ["Authorization"] = "AWS AKIDV2:" + S3Signature.SignatureV2("secret", stringToSign) };
        var authenticator = new S3Authenticator(new CredentialStore([new CredentialOptions { SecretId = "AKIDV2", SecretKey = "secret" }]), new ManualTimeProvider(now));

        var result = authenticator.Authenticate("GET", "/bucket", "/bucket", [new("prefix", "x")], headers);

        Assert.False(result.Failed, result.Message);
        Assert.Equal("SignatureDoesNotMatch", authenticator.Authenticate("GET", "/bucket/key", "/bucket/key", [], headers).ErrorCode);
    }
}
