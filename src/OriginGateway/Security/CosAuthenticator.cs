using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// Verifies COS signatures, from the <c>Authorization</c> header or presigned query parameters,
/// exactly as <c>03-security.md</c> §3.1 describes: rebuild the signed strings from the lists the
/// client sent, require <c>host</c> among the signed headers, check the time window, compare in
/// constant time.
/// </summary>
internal sealed class CosAuthenticator(CredentialStore credentials, TimeProvider time)
{
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxWindow = TimeSpan.FromDays(7);

    /// <summary>Whether a query parameter name belongs to a presigned URL's signature.</summary>
    public static bool IsSignatureParameter(string name) => name.Length > 2 && (name.StartsWith("q-", StringComparison.OrdinalIgnoreCase) &&
        name.ToLowerInvariant() is "q-sign-algorithm" or "q-ak" or "q-sign-time" or "q-key-time" or "q-header-list" or "q-url-param-list" or "q-signature")
        || name.Equals("x-cos-security-token", StringComparison.OrdinalIgnoreCase)
        // An S3 presigned URL's: never passed on to an origin either.
        || (name.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase) && name.ToLowerInvariant() is "x-amz-algorithm" or "x-amz-credential" or "x-amz-date"
            or "x-amz-expires" or "x-amz-signedheaders" or "x-amz-signature" or "x-amz-security-token" or "x-amz-content-sha256")
        || name == "AWSAccessKeyId";

    /// <summary>A Signature Version 2 presigned URL's own parameters (its Signature and Expires are only its own when AWSAccessKeyId is there).</summary>
    public static bool IsV2SignatureParameter(string name) => name is "AWSAccessKeyId" or "Signature" or "Expires";

    /// <param name="method">The request method.</param>
    /// <param name="decodedPath">The decoded request path (with <c>/bucket</c> in path style).</param>
    /// <param name="query">Decoded query parameters in request order (null when there is no query).</param>
    /// <param name="headers">The request headers.</param>
    public CosAuthResult Authenticate(string method, string decodedPath, IReadOnlyList<KeyValuePair<string, string>>? query, IHeaderDictionary headers)
    {
        var authorization = headers.Authorization;
        string? presigned = null;
        string? signParameter = null;
        if (query is not null)
        {
            foreach (var (name, value) in query)
            {
                if (name.Equals("q-signature", StringComparison.OrdinalIgnoreCase) || name.Equals("q-ak", StringComparison.OrdinalIgnoreCase))
                {
                    presigned = value;
                }
                // COS also takes a whole Authorization value in one `sign` parameter (the SDKs' getAuth links).
                if (name == "sign" && value.Contains("q-signature=", StringComparison.Ordinal))
                {
                    signParameter = value;
                }
                if (name.Equals("x-cos-security-token", StringComparison.OrdinalIgnoreCase))
                {
                    return CosAuthResult.Fail(403, "InvalidAccessKeyId", "Temporary credentials (x-cos-security-token) are not supported.");
                }
            }
        }
        if (headers.ContainsKey("x-cos-security-token"))
        {
            return CosAuthResult.Fail(403, "InvalidAccessKeyId", "Temporary credentials (x-cos-security-token) are not supported.");
        }

        Dictionary<string, string> fields;
        if (authorization.Count > 0)
        {
            if (presigned is not null || signParameter is not null)
            {
                return CosAuthResult.Fail(400, "InvalidArgument", "A request may carry an Authorization header or presigned query parameters, not both.");
            }
            if (authorization.Count > 1)
            {
                return CosAuthResult.Fail(403, "AccessDenied", "More than one Authorization header.");
            }
            fields = ParseFields(authorization.ToString());
        }
        else if (signParameter is not null)
        {
            if (presigned is not null)
            {
                return CosAuthResult.Fail(400, "InvalidArgument", "A request may carry a sign parameter or presigned q-* parameters, not both.");
            }
            fields = ParseFields(signParameter);
        }
        else if (presigned is not null)
        {
            fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in query!)
            {
                if (IsSignatureParameter(name))
                {
                    fields[name] = value;
                }
            }
        }
        else
        {
            return CosAuthResult.Anonymous;
        }

        return Verify(fields, method, decodedPath, query, headers);
    }

    private CosAuthResult Verify(Dictionary<string, string> fields, string method, string decodedPath, IReadOnlyList<KeyValuePair<string, string>>? query, IHeaderDictionary headers)
    {
        if (!fields.TryGetValue("q-sign-algorithm", out var algorithm) || !algorithm.Equals("sha1", StringComparison.OrdinalIgnoreCase)
            || !fields.TryGetValue("q-ak", out var secretId) || secretId.Length == 0
            || !fields.TryGetValue("q-sign-time", out var signTime) || !fields.TryGetValue("q-key-time", out var keyTime)
            || !fields.TryGetValue("q-signature", out var signature)
            || !TryParseWindow(signTime, out var start, out var end))
        {
            return CosAuthResult.Fail(403, "AccessDenied", "The signature is malformed: q-sign-algorithm=sha1, q-ak, q-sign-time, q-key-time and q-signature are required.");
        }

        var credential = credentials.Find(secretId);
        if (credential is null)
        {
            return CosAuthResult.Fail(403, "InvalidAccessKeyId", "The SecretId is not known to this gateway.");
        }

        var now = time.GetUtcNow();
        if (end - start > MaxWindow)
        {
            return CosAuthResult.Fail(403, "AccessDenied", "The signature's validity window is longer than 7 days.");
        }
        if (now > end + Skew)
        {
            return CosAuthResult.Fail(403, "AccessDenied", "Request has expired.");
        }
        if (now < start - Skew)
        {
            return CosAuthResult.Fail(403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.");
        }

        var headerNames = SplitList(fields.GetValueOrDefault("q-header-list"));
        if (!headerNames.Contains("host", StringComparer.Ordinal))
        {
            return CosAuthResult.Fail(403, "AccessDenied", "The host header must be signed (q-header-list).");
        }
        var signedHeaders = new List<KeyValuePair<string, string>>(headerNames.Length);
        foreach (var name in headerNames)
        {
            // The lists carry encoded names; the signature encodes the names itself.
            var decodedName = Uri.UnescapeDataString(name);
            var value = headers[decodedName];
            if (value.Count == 0)
            {
                return CosAuthResult.Fail(403, "SignatureDoesNotMatch", $"The signed header '{name}' is not in the request.");
            }
            signedHeaders.Add(new(decodedName, value.ToString()));
        }

        // Every listed name covers all of its occurrences in the query, in request order.
        var signedParameters = new List<KeyValuePair<string, string>>();
        foreach (var name in SplitList(fields.GetValueOrDefault("q-url-param-list")).Distinct(StringComparer.Ordinal))
        {
            var found = false;
            foreach (var (queryName, queryValue) in query ?? [])
            {
                if (string.Equals(CosUrlEncoding.Encode(queryName).ToLowerInvariant(), name, StringComparison.Ordinal))
                {
                    signedParameters.Add(new(queryName, queryValue));
                    found = true;
                }
            }
            if (!found)
            {
                return CosAuthResult.Fail(403, "SignatureDoesNotMatch", $"The signed query parameter '{name}' is not in the request.");
            }
        }

        return CosSignature.Matches(signature, credential.SecretKey, keyTime, signTime, method, decodedPath, signedParameters, signedHeaders)
            ? new CosAuthResult(credential, 0, null, null)
            : CosAuthResult.Fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
    }

    private static string[] SplitList(string? list) =>
        string.IsNullOrEmpty(list) ? [] : list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToArray();

    private static bool TryParseWindow(string value, out DateTimeOffset start, out DateTimeOffset end)
    {
        start = end = default;
        var semicolon = value.IndexOf(';', StringComparison.Ordinal);
        if (semicolon <= 0
            || !long.TryParse(value.AsSpan(0, semicolon), NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            || !long.TryParse(value.AsSpan(semicolon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var e)
            || s > e || e > 253402300799)
        {
            return false;
        }
        start = DateTimeOffset.FromUnixTimeSeconds(s);
        end = DateTimeOffset.FromUnixTimeSeconds(e);
        return true;
    }

    /// <summary>The fields of an Authorization value, exactly as sent: a SecretId with a stray space is another SecretId.</summary>
    private static Dictionary<string, string> ParseFields(string authorization)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in authorization.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                fields[part[..eq]] = part[(eq + 1)..];
            }
        }
        return fields;
    }
}
