using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OriginGateway.Security;

/// <summary>
/// AWS Signature Version 4 as S3 computes it (the AWS S3 API reference, "Authenticating Requests"):
/// the canonical request, the string to sign, the signing key and the signature. Pure functions: the
/// S3 authenticator verifies with them, and the unit tests check them step by step against AWS's
/// published test vectors. S3 differs from the generic algorithm in one point kept here: the path is
/// encoded once and never normalised.
/// </summary>
internal static class S3Signature
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    /// <summary>The SHA-256 of an empty body.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>
    /// The canonical request. <paramref name="decodedPath"/> is the path as the client meant it (each segment
    /// is encoded once here); <paramref name="query"/> the decoded parameters (the signature parameter of a
    /// presigned URL already left out); <paramref name="headers"/> the signed headers' lower-case names and values.
    /// </summary>
    public static string CanonicalRequest(string method, string decodedPath, IEnumerable<KeyValuePair<string, string>> query,
        IReadOnlyList<(string Name, string Value)> headers, string payloadHash)
    {
        var builder = new StringBuilder(256);
        builder.Append(method).Append('\n');
        builder.Append(UriEncode(decodedPath.Length == 0 ? "/" : decodedPath, encodeSlash: false)).Append('\n');
        builder.Append(CanonicalQuery(query)).Append('\n');
        foreach (var (name, value) in headers)
        {
            builder.Append(name).Append(':').Append(CanonicalHeaderValue(value)).Append('\n');
        }
        builder.Append('\n');
        builder.Append(string.Join(';', headers.Select(h => h.Name))).Append('\n');
        builder.Append(payloadHash);
        return builder.ToString();
    }

    /// <summary>Parameters encoded, then sorted by name and value (byte order); a parameter without a value keeps its '='.</summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> query) => string.Join('&', query
        .Select(p => (Name: UriEncode(p.Key, encodeSlash: true), Value: UriEncode(p.Value, encodeSlash: true)))
        .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
        .Select(p => p.Name + "=" + p.Value));

    /// <summary>A header's value trimmed, its inner runs of spaces made one (several values were joined with ',').</summary>
    public static string CanonicalHeaderValue(string value)
    {
        var builder = new StringBuilder(value.Length);
        var space = false;
        foreach (var c in value.AsSpan().Trim())
        {
            if (c == ' ')
            {
                space = true;
                continue;
            }
            if (space)
            {
                builder.Append(' ');
                space = false;
            }
            builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>The scope: <c>date/region/service/aws4_request</c>.</summary>
    public static string Scope(string date, string region, string service) => $"{date}/{region}/{service}/aws4_request";

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

    public static byte[] SigningKey(string secretKey, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    public static string Signature(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>
    /// A chunk's signature in a streaming upload (<c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD</c>): it signs the
    /// previous signature (the seed, for the first chunk) and the SHA-256 of the chunk's data, so the chunks
    /// can be neither changed, reordered nor cut.
    /// </summary>
    public static string ChunkSignature(byte[] signingKey, string amzDate, string scope, string previousSignature, string dataSha256Hex) =>
        Signature(signingKey, $"AWS4-HMAC-SHA256-PAYLOAD\n{amzDate}\n{scope}\n{previousSignature}\n{EmptyPayloadHash}\n{dataSha256Hex}");

    /// <summary>The signature of a streaming upload's trailing headers: it chains from the final chunk's and signs the SHA-256 of the canonical trailers.</summary>
    public static string TrailerSignature(byte[] signingKey, string amzDate, string scope, string previousSignature, string trailersSha256Hex) =>
        Signature(signingKey, $"AWS4-HMAC-SHA256-TRAILER\n{amzDate}\n{scope}\n{previousSignature}\n{trailersSha256Hex}");

    /// <summary>AWS's URI encoding: every byte but A–Z, a–z, 0–9, '-', '.', '_', '~' (and '/' in a path) as %XX, upper-case hex.</summary>
    public static string UriEncode(string value, bool encodeSlash)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' || (c == '/' && !encodeSlash))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    /// <summary>The query parameters Signature Version 2 signs (sub-resources and response overrides).</summary>
    private static readonly HashSet<string> V2SubResources = new(StringComparer.Ordinal)
    {
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment",
        "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website", "replication", "restore", "select", "select-type", "encryption", "object-lock", "retention", "legal-hold",
    };

    /// <summary>Whether Signature Version 2 signs the query parameter <paramref name="name"/> (S3's sub-resources and response overrides).</summary>
    public static bool SignedInVersion2(string name) => V2SubResources.Contains(name);

    /// <summary>
    /// Signature Version 2's string to sign: method, Content-MD5, Content-Type, date (or a presigned URL's
    /// expiry; empty when x-amz-date is sent), the x-amz-* headers sorted, then the resource as sent with
    /// its signed sub-resources.
    /// </summary>
    public static string StringToSignV2(string method, string contentMd5, string contentType, string dateLine,
        IEnumerable<(string Name, string Value)> amzHeaders, string resource, IEnumerable<KeyValuePair<string, string>> query)
    {
        var builder = new StringBuilder(256);
        builder.Append(method).Append('\n').Append(contentMd5).Append('\n').Append(contentType).Append('\n').Append(dateLine).Append('\n');
        foreach (var (name, value) in amzHeaders.OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            builder.Append(name).Append(':').Append(CanonicalHeaderValue(value)).Append('\n');
        }
        builder.Append(resource);
        var signed = query.Where(p => V2SubResources.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < signed.Count; i++)
        {
            builder.Append(i == 0 ? '?' : '&').Append(signed[i].Key);
            if (signed[i].Value.Length > 0)
            {
                builder.Append('=').Append(signed[i].Value);
            }
        }
        return builder.ToString();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "Signature Version 2 is HMAC-SHA1 by definition; the older S3 tools that sign with it are served.")]
    public static string SignatureV2(string secretKey, string stringToSign) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretKey), Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>Whether <paramref name="value"/> is a SHA-256 in lower- or upper-case hex.</summary>
    public static bool IsHexHash(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigit);
}
