using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.Tests.Security;

public sealed class CosSignatureTests
{
    // The official COS documentation's published example.
    private const string SecretKey = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
    private const string KeyTime = "1557989151;1557996351";

    private static readonly KeyValuePair<string, string>[] VectorHeaders =
    [
        new("Content-Length", "13"),
        new("Content-MD5", "mQ/fVh815F3k6TAUm8m0eg=="),
        new("Content-Type", "text/plain"),
        new("Date", "Thu, 16 May 2019 06:45:51 GMT"),
        new("Host", "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"),
        new("x-cos-acl", "private"),
        new("x-cos-grant-read", "uin=\"100000000011\""),
    ];

    [Fact]
    public void Compute_PublishedTestVector_MatchesDocumentedSignature()
    {
        var signature = CosSignature.Compute(SecretKey, KeyTime, KeyTime, "PUT", "/exampleobject(腾讯云)", [], VectorHeaders);

        Assert.Equal("3b8851a11a569213c17ba8fa7dcf2abec6935172", signature);
    }

    [Fact]
    public void Compute_KeysAlternatingOnOneThreadAndAcrossThreads_EachSignatureIsItsOwn()
    {
        // The verifier keeps hash contexts per thread: a context keyed for one SignKey must never sign for another.
        (string Secret, string KeyTime)[] keys = [("secret-a", "1700000000;1700003600"), ("secret-b", "1700000000;1700003600"), ("secret-a", "1700000001;1700003601")];
        string Expected((string Secret, string KeyTime) key, string path) => Reference(key.Secret, key.KeyTime, "get", path, "host=h.example");
        string Actual((string Secret, string KeyTime) key, string path) => CosSignature.Compute(key.Secret, key.KeyTime, key.KeyTime, "GET", path, [], [new("host", "h.example")]);

        for (var i = 0; i < 60; i++)
        {
            var key = keys[i % keys.Length];
            Assert.Equal(Expected(key, "/o" + i), Actual(key, "/o" + i));
        }
        var mismatches = 0;
        Parallel.For(0, 600, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var key = keys[(i * 7) % keys.Length];
            if (Expected(key, "/p" + i) != Actual(key, "/p" + i))
            {
                Interlocked.Increment(ref mismatches);
            }
        });
        Assert.Equal(0, mismatches);
    }

    /// <summary>The scheme written out with strings and one-shot hashes, as the COS documentation states it.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The COS signature is defined with SHA-1 and HMAC-SHA1.")]
    private static string Reference(string secret, string keyTime, string method, string path, string headers, string parameters = "")
    {
        static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
        var signKey = Hex(System.Security.Cryptography.HMACSHA1.HashData(System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes(keyTime)));
        var httpString = $"{method}\n{path}\n{parameters}\n{headers}\n";
        var stringToSign = $"sha1\n{keyTime}\n{Hex(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(httpString)))}\n";
        return Hex(System.Security.Cryptography.HMACSHA1.HashData(System.Text.Encoding.UTF8.GetBytes(signKey), System.Text.Encoding.UTF8.GetBytes(stringToSign)));
    }

    [Fact]
    public void Compute_ManyPairsOfAnyText_MatchesTheSchemeWrittenOutWithStrings()
    {
        // Names and values with reserved characters, any case, non-ASCII text, a lone surrogate, names sent twice,
        // and more pairs than the verifier keeps on the stack.
        string[] tokens = ["a", "B", "b", "x-cos-meta-Ü", "Content-Type", "host", "q", "1 2", "&=", "腾讯", "~_.-", "%2F", "😀", "\uD800", "", "Z/z"];
        static string Canonical(IEnumerable<KeyValuePair<string, string>> pairs) => string.Join('&', pairs
            .Select(p => (Name: CosUrlEncoding.Encode(p.Key).ToLowerInvariant(), Value: CosUrlEncoding.Encode(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
        var random = new Random(22);
        KeyValuePair<string, string>[] Pairs() => [.. Enumerable.Range(0, random.Next(0, 21)).Select(_ =>
            new KeyValuePair<string, string>(tokens[random.Next(tokens.Length)] + tokens[random.Next(tokens.Length)], tokens[random.Next(tokens.Length)]))];

        for (var i = 0; i < 300; i++)
        {
            var (parameters, headers, path) = (Pairs(), Pairs(), "/o" + tokens[random.Next(tokens.Length)]);
            var method = i % 2 == 0 ? "PUT" : "Get";

            Assert.Equal(Reference("secret", KeyTime, method.ToLowerInvariant(), path, Canonical(headers), Canonical(parameters)),
                CosSignature.Compute("secret", KeyTime, KeyTime, method, path, parameters, headers));
        }
    }

    [Theory]
    [InlineData("/exampleobject(Tencent Cloud)")]
    [InlineData("/exampleobject%28%E8%85%BE%E8%AE%AF%E4%BA%91%29")]
    public void Compute_TranslatedOrStillEncodedPath_DoesNotMatch(string path)
    {
        var signature = CosSignature.Compute(SecretKey, KeyTime, KeyTime, "PUT", path, [], VectorHeaders);

        Assert.NotEqual("3b8851a11a569213c17ba8fa7dcf2abec6935172", signature);
    }

    [Fact]
    public void NameList_SortsAndLowerCasesEncodedNames()
    {
        Assert.Equal("content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read", CosSignature.NameList(VectorHeaders));
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("a+b/c", "a%2Bb%2Fc")]
    [InlineData("AZaz09-_.~", "AZaz09-_.~")]
    [InlineData("腾", "%E8%85%BE")]
    [InlineData("😀", "%F0%9F%98%80")]
    public void Encode_KeepsUnreservedAndEncodesTheRestUpperCase(string value, string expected)
    {
        Assert.Equal(expected, CosUrlEncoding.Encode(value));
    }
}
