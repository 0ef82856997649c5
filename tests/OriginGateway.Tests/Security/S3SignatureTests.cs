using System.Security.Cryptography;
using System.Text;
using OriginGateway.Security;

namespace OriginGateway.Tests.Security;

/// <summary>
/// The SigV4 steps against AWS's published vectors: the generic test suite (service "service", 2015-08-30)
/// and the S3 API reference's GET Object example. Each step is compared on its own, so a failure names the
/// line that is wrong.
/// </summary>
public sealed class S3SignatureTests
{
    private const string SuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string SuiteDate = "20150830T123600Z";

    private static string SuiteSignature(string path, IEnumerable<KeyValuePair<string, string>> query, (string, string)[] headers, out string canonical)
    {
        canonical = S3Signature.CanonicalRequest("GET", path, query, headers, S3Signature.EmptyPayloadHash);
        var stringToSign = S3Signature.StringToSign(SuiteDate, S3Signature.Scope("20150830", "us-east-1", "service"), canonical);
        return S3Signature.Signature(S3Signature.SigningKey(SuiteSecret, "20150830", "us-east-1", "service"), stringToSign);
    }

    [Fact]
    public void GetVanilla()
    {
        var signature = SuiteSignature("/", [], [("host", "example.amazonaws.com"), ("x-amz-date", SuiteDate)], out var canonical);

        Assert.Equal("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + S3Signature.EmptyPayloadHash, canonical);
        Assert.Equal("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", signature);
    }

    [Fact]
    public void GetVanillaQueryOrderKeyCase_SortsTheParameters()
    {
        var signature = SuiteSignature("/", [new("Param2", "value2"), new("Param1", "value1")], [("host", "example.amazonaws.com"), ("x-amz-date", SuiteDate)], out var canonical);

        Assert.Equal("Param1=value1&Param2=value2", canonical.Split('\n')[2]);
        Assert.Equal("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
        Assert.Equal("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", signature);
    }

    [Fact]
    public void GetHeaderKeyDuplicate_JoinsTheValuesInOrder()
    {
        var signature = SuiteSignature("/", [], [("host", "example.amazonaws.com"), ("my-header1", "value2,value2,value1"), ("x-amz-date", SuiteDate)], out _);

        Assert.Equal("c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea", signature);
    }

    [Fact]
    public void S3ReferenceGetObjectExample()
    {
        var canonical = S3Signature.CanonicalRequest("GET", "/test.txt", [],
            [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9"), ("x-amz-content-sha256", S3Signature.EmptyPayloadHash), ("x-amz-date", "20130524T000000Z")],
            S3Signature.EmptyPayloadHash);
        var stringToSign = S3Signature.StringToSign("20130524T000000Z", S3Signature.Scope("20130524", "us-east-1", "s3"), canonical);

        Assert.Equal("AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972", stringToSign);
        Assert.Equal("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            S3Signature.Signature(S3Signature.SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"), stringToSign));
    }

    [Theory]
    [InlineData("a b/ü+%.txt", false, "a%20b/%C3%BC%2B%25.txt")]
    [InlineData("a/b", true, "a%2Fb")]
    [InlineData("AZaz09-._~", true, "AZaz09-._~")]
    public void UriEncode_EncodesEverythingButTheUnreservedOnce(string value, bool encodeSlash, string expected) =>
        Assert.Equal(expected, S3Signature.UriEncode(value, encodeSlash));

    [Fact]
    public void CanonicalHeaderValue_TrimsAndCollapsesSpaces() =>
        Assert.Equal("a b c", S3Signature.CanonicalHeaderValue("  a   b c "));

    [Fact]
    public void SignatureVersion2_TheS3DeveloperGuidesGetExample()
    {
        var stringToSign = S3Signature.StringToSignV2("GET", "", "", "Tue, 27 Mar 2007 19:36:42 +0000", [], "/johnsmith/photos/puppy.jpg", []);

        Assert.Equal("GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg", stringToSign);
        Assert.Equal("bWq2s1WEIj+Ydj0vQ697zp+IXMU=", S3Signature.SignatureV2("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", stringToSign));
    }

    [Fact]
    public void SignatureVersion2_SignsSubResourcesAndAmzHeaders_InOrder()
    {
        var stringToSign = S3Signature.StringToSignV2("PUT", "", "text/plain", "", [("x-amz-meta-b", "2"), ("x-amz-date", "Tue, 27 Mar 2007 21:15:45 +0000")],
            "/bucket/key", [new("uploadId", "u1"), new("partNumber", "3"), new("prefix", "not-signed")]);

        Assert.Equal("PUT\n\ntext/plain\n\nx-amz-date:Tue, 27 Mar 2007 21:15:45 +0000\nx-amz-meta-b:2\n/bucket/key?partNumber=3&uploadId=u1", stringToSign);
    }
}
