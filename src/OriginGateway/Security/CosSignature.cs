using System.Security.Cryptography;
using System.Text;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// The COS request signature (<c>q-sign-algorithm=sha1</c>): one implementation, used to verify
/// requests and, in tests and tools, to sign them.
/// </summary>
internal static class CosSignature
{
    /// <summary>Computes the hex signature for a request.</summary>
    /// <param name="secretKey">The credential's SecretKey.</param>
    /// <param name="keyTime">q-key-time, "start;end".</param>
    /// <param name="signTime">q-sign-time, "start;end".</param>
    /// <param name="method">HTTP method (any case).</param>
    /// <param name="decodedPath">The decoded UTF-8 path with its leading '/'.</param>
    /// <param name="parameters">Signed query parameters: names as sent, decoded values.</param>
    /// <param name="headers">Signed headers: names as sent, values as sent.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The COS signature is defined with SHA-1 and HMAC-SHA1.")]
    public static string Compute(string secretKey, string keyTime, string signTime, string method, string decodedPath,
        IEnumerable<KeyValuePair<string, string>> parameters, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var signKey = Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretKey), Encoding.UTF8.GetBytes(keyTime)));
        var httpString = new StringBuilder()
            .Append(method.ToLowerInvariant()).Append('\n')
            .Append(decodedPath).Append('\n')
            .Append(Canonical(parameters)).Append('\n')
            .Append(Canonical(headers)).Append('\n')
            .ToString();
        var stringToSign = "sha1\n" + signTime + "\n" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(httpString))) + "\n";
        return Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(signKey), Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>The q-header-list / q-url-param-list value for a set of names.</summary>
    public static string NameList(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join(';', pairs.Select(p => CosUrlEncoding.Encode(p.Key).ToLowerInvariant()).Order(StringComparer.Ordinal));

    /// <summary>Builds a complete Authorization value (for clients and tests).</summary>
    public static string Authorization(string secretId, string secretKey, DateTimeOffset start, DateTimeOffset end, string method, string decodedPath,
        IReadOnlyList<KeyValuePair<string, string>> parameters, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var time = $"{start.ToUnixTimeSeconds()};{end.ToUnixTimeSeconds()}";
        var signature = Compute(secretKey, time, time, method, decodedPath, parameters, headers);
        return $"q-sign-algorithm=sha1&q-ak={secretId}&q-sign-time={time}&q-key-time={time}&q-header-list={NameList(headers)}&q-url-param-list={NameList(parameters)}&q-signature={signature}";
    }

    /// <summary>
    /// A presigned GET URL for <paramref name="url"/> (host and the URL's own query parameters signed, the
    /// parameters kept), valid from <paramref name="start"/> for <paramref name="validFor"/>.
    /// </summary>
    public static Uri Presign(Uri url, string secretId, string secretKey, DateTimeOffset start, TimeSpan validFor)
    {
        var time = $"{start.ToUnixTimeSeconds()};{(start + validFor).ToUnixTimeSeconds()}";
        KeyDecoding.TryDecodePath(url.AbsolutePath, out var decodedPath);
        var own = url.Query.TrimStart('?');
        List<KeyValuePair<string, string>> parameters = own.Length > 0 && QueryParameters.TryParse(own, out var parsed) ? parsed : [];
        var signature = Compute(secretKey, time, time, "GET", decodedPath, parameters, [new("host", url.Authority)]);
        var query = $"q-sign-algorithm=sha1&q-ak={Uri.EscapeDataString(secretId)}&q-sign-time={Uri.EscapeDataString(time)}&q-key-time={Uri.EscapeDataString(time)}&q-header-list=host&q-url-param-list={Uri.EscapeDataString(NameList(parameters))}&q-signature={signature}";
        return new Uri(url.GetLeftPart(UriPartial.Path) + "?" + (own.Length > 0 ? own + "&" : "") + query);
    }

    private static string Canonical(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join('&', pairs
            .Select(p => (Name: CosUrlEncoding.Encode(p.Key).ToLowerInvariant(), Value: CosUrlEncoding.Encode(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
}
