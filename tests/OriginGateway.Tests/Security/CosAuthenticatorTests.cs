using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.Tests.Security;

public sealed class CosAuthenticatorTests
{
    private const string SecretId = "AKIDTESTTESTTEST";
    private const string SecretKey = "test-secret-key";
    private const string Host = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly ManualTimeProvider _time = new(Now);
    private readonly CosAuthenticator _authenticator;

    public CosAuthenticatorTests()
    {
        var credentials = new CredentialStore([new CredentialOptions { SecretId = SecretId, SecretKey = SecretKey }]);
        _authenticator = new CosAuthenticator(credentials, _time);
    }

    private static IHeaderDictionary Headers(string? authorization = null)
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Host"] = Host, ["Content-Type"] = "text/plain" };
        if (authorization is not null)
        {
            headers.Authorization = authorization;
        }
        return headers;
    }

    private static string Sign(DateTimeOffset start, DateTimeOffset end, string method = "GET", string path = "/a.txt",
        string secretId = SecretId, string secretKey = SecretKey, IReadOnlyList<KeyValuePair<string, string>>? parameters = null)
    {
        KeyValuePair<string, string>[] headers = [new("host", Host), new("content-type", "text/plain")];
        return CosSignature.Authorization(secretId, secretKey, start, end, method, path, parameters ?? [], headers);
    }

    [Fact]
    public void Authenticate_NoSignature_IsAnonymous()
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers());

        Assert.True(result.IsAnonymous);
    }

    [Fact]
    public void Authenticate_ValidHeaderSignature_ReturnsCredential()
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(Sign(Now, Now.AddMinutes(10))));

        Assert.False(result.Failed);
        Assert.Equal(SecretId, result.Credential!.SecretId);
    }

    [Fact]
    public void Authenticate_FieldsInAnyCaseOrderAndWithStrayParts_AreRead()
    {
        var signed = Sign(Now, Now.AddMinutes(10));
        var fields = signed.Split('&');
        // Upper-case names, reversed order, empty parts, a part without '=', a field of no meaning, and a
        // q-signature sent first with a wrong value: the last value of a name is the one read.
        var shuffled = string.Join("&", fields.Reverse().Select(f => f.StartsWith("q-ak=", StringComparison.Ordinal) ? "Q-AK=" + f[5..] : f))
            .Replace("q-sign-algorithm=", "Q-Sign-Algorithm=", StringComparison.Ordinal);
        var authorization = "q-signature=" + new string('0', 40) + "&&stray&x-unknown=1=2&" + shuffled + "&";

        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(authorization));

        Assert.False(result.Failed, result.Message);
        Assert.Equal(SecretId, result.Credential!.SecretId);
        var lastWrong = _authenticator.Authenticate("GET", "/a.txt", null, Headers(signed + "&q-signature=" + new string('0', 40)));
        Assert.Equal("SignatureDoesNotMatch", lastWrong.ErrorCode);
    }

    [Fact]
    public void Authenticate_SignedQueryParameter_IsPartOfTheSignature()
    {
        List<KeyValuePair<string, string>> query = [new("prefix", "dir/a b")];
        var authorization = Sign(Now, Now.AddMinutes(10), path: "/", parameters: query);

        Assert.False(_authenticator.Authenticate("GET", "/", query, Headers(authorization)).Failed);
        List<KeyValuePair<string, string>> tampered = [new("prefix", "dir/other")];
        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", "/", tampered, Headers(authorization)).ErrorCode);
    }

    [Fact]
    public void Authenticate_ValidPresignedQuery_ReturnsCredential()
    {
        var query = Presigned(Now, Now.AddMinutes(10));

        var result = _authenticator.Authenticate("GET", "/a.txt", query, new HeaderDictionary { ["Host"] = Host });

        Assert.False(result.Failed);
    }

    private static List<KeyValuePair<string, string>> Presigned(DateTimeOffset start, DateTimeOffset end)
    {
        KeyValuePair<string, string>[] headers = [new("host", Host)];
        var time = $"{start.ToUnixTimeSeconds()};{end.ToUnixTimeSeconds()}";
        var signature = CosSignature.Compute(SecretKey, time, time, "GET", "/a.txt", [], headers);
        return
        [
            new("q-sign-algorithm", "sha1"), new("q-ak", SecretId), new("q-sign-time", time), new("q-key-time", time),
            new("q-header-list", "host"), new("q-url-param-list", ""), new("q-signature", signature),
        ];
    }

    [Theory]
    [InlineData(-3600, -61, 403, "AccessDenied")]             // ended more than 60 s ago: expired
    [InlineData(61, 3600, 403, "RequestTimeTooSkewed")]       // starts more than 60 s ahead
    [InlineData(-10, 8 * 24 * 3600, 403, "AccessDenied")]     // window over 7 days
    public void Authenticate_TimeWindowViolations_AreRefused(int startOffset, int endOffset, int status, string code)
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(Sign(Now.AddSeconds(startOffset), Now.AddSeconds(endOffset))));

        Assert.Equal((status, code), (result.Status, result.ErrorCode));
    }

    [Theory]
    [InlineData(-3600, -59)]
    [InlineData(59, 3600)]
    public void Authenticate_WithinSixtySecondsOfTheWindow_IsAccepted(int startOffset, int endOffset)
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(Sign(Now.AddSeconds(startOffset), Now.AddSeconds(endOffset))));

        Assert.False(result.Failed);
    }

    [Fact]
    public void Authenticate_ExpiredSignature_SaysRequestHasExpired()
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(Sign(Now.AddHours(-2), Now.AddHours(-1))));

        Assert.Equal("Request has expired", result.Message);
    }

    [Fact]
    public void Authenticate_WrongSecretKey_SignatureDoesNotMatch()
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(Sign(Now, Now.AddMinutes(5), secretKey: "wrong")));

        Assert.Equal((403, "SignatureDoesNotMatch"), (result.Status, result.ErrorCode));
    }

    [Theory]
    [InlineData("PUT", "/a.txt")]
    [InlineData("GET", "/b.txt")]
    public void Authenticate_OtherMethodOrPath_SignatureDoesNotMatch(string method, string path)
    {
        var result = _authenticator.Authenticate(method, path, null, Headers(Sign(Now, Now.AddMinutes(5))));

        Assert.Equal("SignatureDoesNotMatch", result.ErrorCode);
    }

    [Fact]
    public void Authenticate_SignedHeaderMissing_SignatureDoesNotMatch()
    {
        var headers = Headers(Sign(Now, Now.AddMinutes(5)));
        headers.Remove("Content-Type");

        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", "/a.txt", null, headers).ErrorCode);
    }

    [Fact]
    public void Authenticate_TamperedSignedHeader_SignatureDoesNotMatch()
    {
        var headers = Headers(Sign(Now, Now.AddMinutes(5)));
        headers.ContentType = "text/html";

        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", "/a.txt", null, headers).ErrorCode);
    }

    [Fact]
    public void Authenticate_UnknownSecretId_InvalidAccessKeyId()
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(Sign(Now, Now.AddMinutes(5), secretId: "AKIDNOBODY")));

        Assert.Equal((403, "InvalidAccessKeyId"), (result.Status, result.ErrorCode));
    }

    [Fact]
    public void Authenticate_HeaderAndPresignedTogether_InvalidArgument()
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", Presigned(Now, Now.AddMinutes(5)), Headers(Sign(Now, Now.AddMinutes(5))));

        Assert.Equal((400, "InvalidArgument"), (result.Status, result.ErrorCode));
    }

    [Fact]
    public void Authenticate_SecurityToken_InvalidAccessKeyId()
    {
        var headers = Headers(Sign(Now, Now.AddMinutes(5)));
        headers["x-cos-security-token"] = "token";

        Assert.Equal("InvalidAccessKeyId", _authenticator.Authenticate("GET", "/a.txt", null, headers).ErrorCode);
    }

    [Fact]
    public void Authenticate_HostNotSigned_IsRefused()
    {
        var time = $"{Now.ToUnixTimeSeconds()};{Now.AddMinutes(5).ToUnixTimeSeconds()}";
        KeyValuePair<string, string>[] signed = [new("content-type", "text/plain")];
        var signature = CosSignature.Compute(SecretKey, time, time, "GET", "/a.txt", [], signed);
        var authorization = $"q-sign-algorithm=sha1&q-ak={SecretId}&q-sign-time={time}&q-key-time={time}&q-header-list=content-type&q-url-param-list=&q-signature={signature}";

        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(authorization));

        Assert.Equal((403, "AccessDenied"), (result.Status, result.ErrorCode));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("q-sign-algorithm=md5&q-ak=AKIDTESTTESTTEST&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-url-param-list=&q-signature=00")]
    [InlineData("q-sign-algorithm=sha1&q-ak=AKIDTESTTESTTEST&q-sign-time=bad&q-key-time=1;2&q-header-list=host&q-url-param-list=&q-signature=00")]
    public void Authenticate_MalformedAuthorization_AccessDenied(string authorization)
    {
        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(authorization));

        Assert.Equal((403, "AccessDenied"), (result.Status, result.ErrorCode));
    }

    /// <summary>
    /// A parameter whose name needs percent-encoding (<c>?a%2Cb=1</c>), signed as the COS SDKs sign it: the
    /// name encoded once, lower-cased, in both the list and the signed string. Built here by hand, not
    /// with the gateway's own signer.
    /// </summary>
    [Fact]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The COS signature is defined with SHA-1 and HMAC-SHA1.")]
    public void Authenticate_AParameterNameThatNeedsEncoding_IsSignedOnce()
    {
        var time = $"{Now.ToUnixTimeSeconds()};{Now.AddMinutes(10).ToUnixTimeSeconds()}";
        static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
        var signKey = Hex(System.Security.Cryptography.HMACSHA1.HashData(System.Text.Encoding.UTF8.GetBytes(SecretKey), System.Text.Encoding.UTF8.GetBytes(time)));
        var httpString = $"get\n/\na%2cb=1&x%21y=%E8%85%BE\ncontent-type=text%2Fplain&host={Host}\n";
        var stringToSign = $"sha1\n{time}\n{Hex(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(httpString)))}\n";
        var signature = Hex(System.Security.Cryptography.HMACSHA1.HashData(System.Text.Encoding.UTF8.GetBytes(signKey), System.Text.Encoding.UTF8.GetBytes(stringToSign)));
        var authorization = $"q-sign-algorithm=sha1&q-ak={SecretId}&q-sign-time={time}&q-key-time={time}&q-header-list=content-type;host&q-url-param-list=a%2cb;x%21y&q-signature={signature}";
        List<KeyValuePair<string, string>> query = [new("a,b", "1"), new("x!y", "腾")];

        var result = _authenticator.Authenticate("GET", "/", query, Headers(authorization));

        Assert.False(result.Failed, result.Message);
        Assert.Equal(authorization, Sign(Now, Now.AddMinutes(10), path: "/", parameters: query));
    }

    [Theory]
    [InlineData(SecretId + " ")]
    [InlineData(" " + SecretId)]
    public void Authenticate_ASecretIdWithASpace_IsAnotherSecretId(string secretId)
    {
        var authorization = Sign(Now, Now.AddMinutes(10), secretId: secretId);

        var result = _authenticator.Authenticate("GET", "/a.txt", null, Headers(authorization));

        Assert.Equal("InvalidAccessKeyId", result.ErrorCode);
    }

    [Fact]
    public void Presign_KeepsAndSignsTheUrlsOwnParameters()
    {
        var url = CosSignature.Presign(new Uri($"http://{Host}/dir/a.txt?response-content-type=text%2Fplain&a%2Cb=1"), SecretId, SecretKey, Now, TimeSpan.FromMinutes(5));
        Assert.True(QueryParameters.TryParse(url.Query.TrimStart('?'), out var query));
        Assert.Contains(new KeyValuePair<string, string>("response-content-type", "text/plain"), query);
        Assert.Contains(new KeyValuePair<string, string>("a,b", "1"), query);

        Assert.False(_authenticator.Authenticate("GET", "/dir/a.txt", query, Headers()).Failed);
        var tampered = query.Select(p => p.Key == "response-content-type" ? new KeyValuePair<string, string>(p.Key, "text/html") : p).ToList();
        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", "/dir/a.txt", tampered, Headers()).ErrorCode);
    }

    /// <summary>A whole Authorization value in one <c>sign</c> query parameter, as the COS SDKs' getAuth links carry it.</summary>
    [Fact]
    public void Authenticate_AnAuthorizationInTheSignParameter_IsChecked()
    {
        List<KeyValuePair<string, string>> signed = [new("a,b!*", "x y")];
        var authorization = CosSignature.Authorization(SecretId, SecretKey, Now, Now.AddMinutes(10), "GET", "/a.txt", signed, [new("host", Host)]);
        List<KeyValuePair<string, string>> query = [new("sign", authorization), .. signed];
        IHeaderDictionary headers = new HeaderDictionary { ["Host"] = Host };

        Assert.Equal(SecretId, _authenticator.Authenticate("GET", "/a.txt", query, headers).Credential?.SecretId);
        List<KeyValuePair<string, string>> tampered = [new("sign", authorization), new("a,b!*", "x z")];
        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", "/a.txt", tampered, headers).ErrorCode);
        Assert.Equal("InvalidArgument", _authenticator.Authenticate("GET", "/a.txt", query, Headers(Sign(Now, Now.AddMinutes(5)))).ErrorCode);
    }

    /// <summary>A COS form signed as COS documents it for browser uploads; the vector computed with Node.js's crypto.</summary>
    private const string FormPolicy = "eyJleHBpcmF0aW9uIjoiMjAyMy0xMS0xNFQyMzoxMzoyMC4wMDBaIiwiY29uZGl0aW9ucyI6W3sicS1zaWduLWFsZ29yaXRobSI6InNoYTEifSx7InEtYWsiOiJBS0lEVEVTVFRFU1RURVNUIn0seyJxLXNpZ24tdGltZSI6IjE3MDAwMDAwMDA7MTcwMDAwMzYwMCJ9LHsiYnVja2V0IjoiZXhhbXBsZWJ1Y2tldC0xMjUwMDAwMDAwIn0sWyJzdGFydHMtd2l0aCIsIiRrZXkiLCJ1cGxvYWRzLyJdXX0=";

    private static Dictionary<string, string> FormFields() => new()
    {
        ["key"] = "uploads/a.txt",
        ["policy"] = FormPolicy,
        ["q-sign-algorithm"] = "sha1",
        ["q-ak"] = SecretId,
        ["q-key-time"] = "1700000000;1700003600",
        ["q-signature"] = "63ba3613ba31b9c682e876c116465c21cd4f8a0b",
    };

    [Fact]
    public void AuthenticateForm_TheSignatureOverThePolicyJson_IsVerified_AndItsConditionsHold()
    {
        Assert.True(CosAuthenticator.SignsForm(FormFields()));
        var result = _authenticator.AuthenticateForm(FormFields());

        Assert.False(result.Failed, result.Message);
        Assert.Equal(SecretId, result.Credential!.SecretId);
        // The policy names the window q-sign-time; the form sends it as q-key-time.
        Assert.Null(PostPolicy.Parse(FormPolicy, out _)!.Check(FormFields(), "examplebucket-1250000000", Now.AddMinutes(1)));
    }

    [Theory]
    [InlineData("q-signature", "63ba3613ba31b9c682e876c116465c21cd4f8a0c", "SignatureDoesNotMatch")]
    [InlineData("q-key-time", "1700000000;1700003601", "SignatureDoesNotMatch")]
    [InlineData("q-ak", "AKIDSOMEONEELSE", "InvalidAccessKeyId")]
    [InlineData("q-sign-algorithm", "sha256", "AccessDenied")]
    [InlineData("policy", "eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0=", "SignatureDoesNotMatch")]
    public void AuthenticateForm_AnyFieldOfTheSignatureChanged_IsRefused(string field, string value, string code)
    {
        var fields = FormFields();
        fields[field] = value;

        Assert.Equal(code, _authenticator.AuthenticateForm(fields).ErrorCode);
    }

    [Fact]
    public void AuthenticateForm_OutsideItsWindow_IsRefused()
    {
        _time.Now = Now.AddHours(2);

        Assert.Equal("AccessDenied", _authenticator.AuthenticateForm(FormFields()).ErrorCode);
    }

    [Fact]
    public void Authenticate_TheSameSignedRequestAgain_IsComparedWithTheKeptSignature_AndEveryOtherCheckStillHolds()
    {
        // A path no other test signs, so the first verification computes the signature.
        var path = $"/kept/{Guid.NewGuid():N}.txt";
        var authorization = Sign(Now, Now.AddMinutes(10), path: path);
        var found = KnownSignatures.FoundOnThisThread;

        Assert.False(_authenticator.Authenticate("GET", path, null, Headers(authorization)).Failed);
        Assert.Equal(found, KnownSignatures.FoundOnThisThread);

        // Sent again: the same inputs, compared with the signature kept for them.
        Assert.False(_authenticator.Authenticate("GET", path, null, Headers(authorization)).Failed);
        Assert.Equal(found + 1, KnownSignatures.FoundOnThisThread);

        // Another signature over the same inputs is compared with the kept one and refused.
        var last = authorization[^1] == '0' ? '1' : '0';
        var forged = authorization[..^1] + last;
        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", path, null, Headers(forged)).ErrorCode);
        Assert.Equal(found + 2, KnownSignatures.FoundOnThisThread);

        // Anything signed changed is other inputs: computed, refused.
        var headers = Headers(authorization);
        headers.ContentType = "text/html";
        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", path, null, headers).ErrorCode);
        Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("PUT", path, null, Headers(authorization)).ErrorCode);
        Assert.Equal(found + 2, KnownSignatures.FoundOnThisThread);

        // The SecretKey given another value (a rotated credential): the SignKey is part of the inputs.
        var rotated = new CosAuthenticator(new CredentialStore([new CredentialOptions { SecretId = SecretId, SecretKey = "rotated-secret-key" }]), _time);
        Assert.Equal("SignatureDoesNotMatch", rotated.Authenticate("GET", path, null, Headers(authorization)).ErrorCode);
        Assert.Equal(found + 2, KnownSignatures.FoundOnThisThread);

        // The window is checked on every request, kept signature or not.
        _time.Now = Now.AddMinutes(12);
        Assert.Equal("Request has expired", _authenticator.Authenticate("GET", path, null, Headers(authorization)).Message);
    }

    [Fact]
    public void Authenticate_ASignatureThatDidNotMatch_IsNeverKept()
    {
        var path = $"/refused/{Guid.NewGuid():N}.txt";
        var wrong = Sign(Now, Now.AddMinutes(10), path: path, secretKey: "wrong");
        var found = KnownSignatures.FoundOnThisThread;

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("SignatureDoesNotMatch", _authenticator.Authenticate("GET", path, null, Headers(wrong)).ErrorCode);
        }

        Assert.Equal(found, KnownSignatures.FoundOnThisThread);
        // The right signature afterwards is computed (nothing was kept for these inputs), then kept.
        var right = Sign(Now, Now.AddMinutes(10), path: path);
        Assert.False(_authenticator.Authenticate("GET", path, null, Headers(right)).Failed);
        Assert.Equal(found, KnownSignatures.FoundOnThisThread);
        Assert.False(_authenticator.Authenticate("GET", path, null, Headers(right)).Failed);
        Assert.Equal(found + 1, KnownSignatures.FoundOnThisThread);
    }

    [Fact]
    public void KnownSignatures_KeepsAtMostItsCapacity_AndTheLatestIsFound()
    {
        var prefix = Guid.NewGuid().ToByteArray();
        byte[] Inputs(int i) => [.. prefix, .. BitConverter.GetBytes(i)];

        for (var i = 0; i < KnownSignatures.Capacity * 2; i++)
        {
            KnownSignatures.Add(Inputs(i), BitConverter.GetBytes(i));
        }

        // Other tests may add a few of their own meanwhile.
        Assert.InRange(KnownSignatures.Count, 1, KnownSignatures.Capacity + 64);
        Assert.Equal(BitConverter.GetBytes(KnownSignatures.Capacity * 2 - 1), KnownSignatures.Find(Inputs(KnownSignatures.Capacity * 2 - 1)));
        Assert.Null(KnownSignatures.Find([.. prefix, 1, 2, 3]));

        // Inputs longer than the limit are not kept.
        byte[] longInputs = [.. prefix, .. new byte[KnownSignatures.MaxInputLength]];
        KnownSignatures.Add(longInputs, [1]);
        Assert.Null(KnownSignatures.Find(longInputs));

        // Leave it empty rather than full, so the next test's first signature does not drop everything.
        KnownSignatures.Clear();
    }
}
