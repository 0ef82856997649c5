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

        SignatureFields fields;
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
            fields = default;
            foreach (var (name, value) in query!)
            {
                fields.Set(name, value);
            }
        }
        else
        {
            return CosAuthResult.Anonymous;
        }

        return Verify(fields, method, decodedPath, query, headers);
    }

    private CosAuthResult Verify(in SignatureFields fields, string method, string decodedPath, IReadOnlyList<KeyValuePair<string, string>>? query, IHeaderDictionary headers)
    {
        if (fields.Algorithm is not { } algorithm || !algorithm.Equals("sha1", StringComparison.OrdinalIgnoreCase)
            || fields.SecretId is not { Length: > 0 } secretId
            || fields.SignTime is not { } signTime || fields.KeyTime is not { } keyTime
            || fields.Signature is not { } signature
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

        var headerNames = SplitList(fields.HeaderList);
        if (Array.IndexOf(headerNames, "host") < 0)
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
        foreach (var name in SplitList(fields.ParameterList).Distinct(StringComparer.Ordinal))
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

    private static string[] SplitList(string? list)
    {
        if (string.IsNullOrEmpty(list))
        {
            return [];
        }
        var names = list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = names[i].ToLowerInvariant();
        }
        return names;
    }

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
    private static SignatureFields ParseFields(string authorization)
    {
        SignatureFields fields = default;
        var rest = authorization.AsSpan();
        var offset = 0;
        while (offset <= authorization.Length)
        {
            var length = rest.IndexOf('&');
            var part = length < 0 ? rest : rest[..length];
            var eq = part.IndexOf('=');
            if (eq > 0)
            {
                fields.Set(part[..eq], authorization, offset + eq + 1, part.Length - eq - 1);
            }
            if (length < 0)
            {
                break;
            }
            rest = rest[(length + 1)..];
            offset += length + 1;
        }
        return fields;
    }

    /// <summary>
    /// The signature's own fields (names in any case; a name sent twice keeps its last value). Only the seven
    /// names of the scheme are kept — the others are not read — and each value is cut out of its source only when kept.
    /// </summary>
    private struct SignatureFields
    {
        public string? Algorithm;
        public string? SecretId;
        public string? SignTime;
        public string? KeyTime;
        public string? HeaderList;
        public string? ParameterList;
        public string? Signature;

        public void Set(string name, string value) => Set(name, value, 0, value.Length);

        public void Set(ReadOnlySpan<char> name, string source, int start, int length)
        {
            if (Is(name, "q-sign-algorithm")) { Algorithm = source.Substring(start, length); }
            else if (Is(name, "q-ak")) { SecretId = source.Substring(start, length); }
            else if (Is(name, "q-sign-time")) { SignTime = source.Substring(start, length); }
            else if (Is(name, "q-key-time")) { KeyTime = source.Substring(start, length); }
            else if (Is(name, "q-header-list")) { HeaderList = source.Substring(start, length); }
            else if (Is(name, "q-url-param-list")) { ParameterList = source.Substring(start, length); }
            else if (Is(name, "q-signature")) { Signature = source.Substring(start, length); }
        }

        private static bool Is(ReadOnlySpan<char> name, string field) => name.Equals(field, StringComparison.OrdinalIgnoreCase);
    }
}
