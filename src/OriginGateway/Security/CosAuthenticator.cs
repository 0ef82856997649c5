using System.Buffers;
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

        return Verify(fields, method, decodedPath, query, headers, presignedUrl: authorization.Count == 0);
    }

    /// <summary>Whether a form upload is signed in COS's way (<c>q-signature</c>, <c>q-ak</c>); <paramref name="fields"/> has lower-case names.</summary>
    public static bool SignsForm(IReadOnlyDictionary<string, string> fields) => fields.ContainsKey("q-signature") || fields.ContainsKey("q-ak");

    /// <summary>
    /// The signature of a COS form upload (POST Object): <c>q-sign-algorithm=sha1</c>, <c>q-ak</c>, <c>q-key-time</c>
    /// ("start;end", the window the upload must fall in) and <c>q-signature</c> over the <c>policy</c> field's JSON
    /// (<see cref="CosSignature.PolicyMatches"/>). The policy's own conditions are checked by <see cref="PostPolicy"/>.
    /// </summary>
    public CosAuthResult AuthenticateForm(IReadOnlyDictionary<string, string> fields)
    {
        if (fields.GetValueOrDefault("q-sign-algorithm") is not { } algorithm || !algorithm.Equals("sha1", StringComparison.OrdinalIgnoreCase)
            || fields.GetValueOrDefault("q-ak") is not { Length: > 0 } secretId || fields.GetValueOrDefault("q-signature") is not { } signature
            || (fields.GetValueOrDefault("q-key-time") ?? fields.GetValueOrDefault("q-sign-time")) is not { } keyTime
            || !TryParseWindow(keyTime, out var start, out var end))
        {
            return CosAuthResult.Fail(403, "AccessDenied", "The form's signature is malformed: q-sign-algorithm=sha1, q-ak, q-key-time and q-signature are required.");
        }
        if (fields.GetValueOrDefault("policy") is not { Length: > 0 } policy)
        {
            return CosAuthResult.Fail(400, "InvalidArgument", "A signed form upload needs its policy field.");
        }
        if (credentials.Find(secretId.AsSpan()) is not { } credential)
        {
            return CosAuthResult.Fail(403, "InvalidAccessKeyId", "The SecretId is not known to this gateway.");
        }
        if (WindowRefusal(start, end) is { } outside)
        {
            return outside;
        }
        byte[] json;
        try
        {
            json = Convert.FromBase64String(policy);
        }
        catch (FormatException)
        {
            return CosAuthResult.Fail(400, "InvalidPolicyDocument", "Invalid Policy: the policy is not valid base64.");
        }
        return CosSignature.PolicyMatches(signature, credential.SecretKey, keyTime, json)
            ? new CosAuthResult(credential, 0, null, null)
            : CosAuthResult.Fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
    }

    /// <param name="presignedUrl">Whether the signature came in the URL: whoever holds it completes the request, so each
    /// <c>x-cos-*</c> header it carries must be signed (q-header-list), and each parameter that names a sub-resource
    /// (q-url-param-list; <see cref="UnsignedDirectives"/>). The <c>response-*</c> overrides of a download may be added
    /// unsigned, as before. An Authorization header is the signer's own request, whose headers and parameters COS does
    /// not require signed.</param>
    private CosAuthResult Verify(in SignatureFields fields, string method, string decodedPath, IReadOnlyList<KeyValuePair<string, string>>? query, IHeaderDictionary headers,
        bool presignedUrl)
    {
        if (fields.Algorithm is not { } algorithm || !algorithm.Span.Equals("sha1", StringComparison.OrdinalIgnoreCase)
            || fields.SecretId is not { Length: > 0 } secretId
            || fields.SignTime is not { } signTime || fields.KeyTime is not { } keyTime
            || fields.Signature is not { } signature
            || !TryParseWindow(signTime.Span, out var start, out var end))
        {
            return CosAuthResult.Fail(403, "AccessDenied", "The signature is malformed: q-sign-algorithm=sha1, q-ak, q-sign-time, q-key-time and q-signature are required.");
        }

        var credential = credentials.Find(secretId.Span);
        if (credential is null)
        {
            return CosAuthResult.Fail(403, "InvalidAccessKeyId", "The SecretId is not known to this gateway.");
        }

        if (WindowRefusal(start, end) is { } outside)
        {
            return outside;
        }

        var headerList = fields.HeaderList.GetValueOrDefault().Span;
        if (!ListContains(headerList, "host"))
        {
            return CosAuthResult.Fail(403, "AccessDenied", "The host header must be signed (q-header-list).");
        }
        // The signed pairs in pooled arrays (a request signs a few); both go back to the pool below.
        var signedHeaders = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(headerList.Count(';') + 1);
        var signedParameters = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(Math.Max(1, query?.Count ?? 0));
        try
        {
            var headerCount = 0;
            foreach (var range in headerList.Split(';'))
            {
                if (ListName(headerList[range]) is not { } name)
                {
                    continue;
                }
                // The lists carry encoded names; the signature encodes the names itself.
                var decodedName = Uri.UnescapeDataString(name);
                var value = headers[decodedName];
                if (value.Count == 0)
                {
                    return CosAuthResult.Fail(403, "SignatureDoesNotMatch", $"The signed header '{name}' is not in the request.");
                }
                signedHeaders[headerCount++] = new(decodedName, value.ToString());
            }

            // Every listed name covers all of its occurrences in the query, in request order (a name listed twice, once).
            var parameterList = fields.ParameterList.GetValueOrDefault().Span;
            var parameterCount = 0;
            var listed = 0;
            foreach (var range in parameterList.Split(';'))
            {
                if (ListName(parameterList[range]) is not { } name || ListContains(parameterList, name, before: listed++))
                {
                    continue;
                }
                var found = false;
                foreach (var (queryName, queryValue) in query ?? [])
                {
                    if (EncodesTo(queryName, name))
                    {
                        signedParameters[parameterCount++] = new(queryName, queryValue);
                        found = true;
                    }
                }
                if (!found)
                {
                    return CosAuthResult.Fail(403, "SignatureDoesNotMatch", $"The signed query parameter '{name}' is not in the request.");
                }
            }

            if (!CosSignature.Matches(signature.Span, credential.SecretKey, keyTime.Span, signTime.Span, method, decodedPath,
                    signedParameters.AsSpan(0, parameterCount), signedHeaders.AsSpan(0, headerCount)))
            {
                return CosAuthResult.Fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
            }
            if (presignedUrl && UnsignedDirectives.Headers(headers, [UnsignedDirectives.Cos], signedHeaders.Take(headerCount).Select(h => h.Key).ToList()) is { } unsigned)
            {
                return CosAuthResult.Fail(403, "AccessDenied", $"There were headers present in the request which were not signed (q-header-list): {unsigned}.");
            }
            if (presignedUrl && UnsignedDirectives.Parameters(query, signedParameters.Take(parameterCount).Select(p => p.Key).ToHashSet(StringComparer.Ordinal).Contains) is { } unsignedParameters)
            {
                return CosAuthResult.Fail(403, "AccessDenied", $"There were query parameters present in the request which were not signed (q-url-param-list): {unsignedParameters}.");
            }
            return new CosAuthResult(credential, 0, null, null);
        }
        finally
        {
            ArrayPool<KeyValuePair<string, string>>.Shared.Return(signedHeaders, clearArray: true);
            ArrayPool<KeyValuePair<string, string>>.Shared.Return(signedParameters, clearArray: true);
        }
    }

    /// <summary>One name of a q-header-list or q-url-param-list, trimmed and lower-cased; null for an empty one.</summary>
    private static string? ListName(ReadOnlySpan<char> entry)
    {
        entry = entry.Trim();
        return entry.IsEmpty ? null : entry.ToString().ToLowerInvariant();
    }

    /// <summary>Whether a q-*-list holds <paramref name="name"/> (lower-case) among its first <paramref name="before"/> names.</summary>
    private static bool ListContains(ReadOnlySpan<char> list, string name, int before = int.MaxValue)
    {
        Span<char> lower = stackalloc char[name.Length];
        foreach (var range in list.Split(';'))
        {
            var entry = list[range].Trim();
            if (entry.IsEmpty)
            {
                continue;
            }
            if (before-- <= 0)
            {
                return false;
            }
            if (entry.Length == name.Length && entry.ToLowerInvariant(lower) == name.Length && lower.SequenceEqual(name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether a query parameter's name, encoded and lower-cased as the signature encodes it, is <paramref name="listed"/>.</summary>
    private static bool EncodesTo(string queryName, string listed)
    {
        var length = CosUrlEncoding.MaxEncodedLength(queryName.Length);
        var rented = length > 256 ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> encoded = rented ?? stackalloc byte[256];
            encoded = encoded[..CosUrlEncoding.EncodeTo(queryName, encoded, lowerCase: true)];
            if (encoded.Length != listed.Length)
            {
                return false;
            }
            for (var i = 0; i < encoded.Length; i++)
            {
                if (encoded[i] != listed[i])
                {
                    return false;
                }
            }
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The refusal of a signature whose window is over 7 days long, or that the present (within the skew) is outside of; null when it holds.</summary>
    private CosAuthResult? WindowRefusal(DateTimeOffset start, DateTimeOffset end)
    {
        var now = time.GetUtcNow();
        if (end - start > MaxWindow)
        {
            return CosAuthResult.Fail(403, "AccessDenied", "The signature's validity window is longer than 7 days.");
        }
        if (now > end + Skew)
        {
            return CosAuthResult.Fail(403, "AccessDenied", "Request has expired");
        }
        return now < start - Skew
            ? CosAuthResult.Fail(403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.")
            : null;
    }

    private static bool TryParseWindow(ReadOnlySpan<char> value, out DateTimeOffset start, out DateTimeOffset end)
    {
        start = end = default;
        var semicolon = value.IndexOf(';');
        if (semicolon <= 0
            || !long.TryParse(value[..semicolon], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            || !long.TryParse(value[(semicolon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var e)
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
    /// names of the scheme are kept — the others are not read — each as a slice of its source, not a copy.
    /// </summary>
    private struct SignatureFields
    {
        public ReadOnlyMemory<char>? Algorithm;
        public ReadOnlyMemory<char>? SecretId;
        public ReadOnlyMemory<char>? SignTime;
        public ReadOnlyMemory<char>? KeyTime;
        public ReadOnlyMemory<char>? HeaderList;
        public ReadOnlyMemory<char>? ParameterList;
        public ReadOnlyMemory<char>? Signature;

        public void Set(string name, string value) => Set(name, value, 0, value.Length);

        public void Set(ReadOnlySpan<char> name, string source, int start, int length)
        {
            var value = source.AsMemory(start, length);
            if (Is(name, "q-sign-algorithm")) { Algorithm = value; }
            else if (Is(name, "q-ak")) { SecretId = value; }
            else if (Is(name, "q-sign-time")) { SignTime = value; }
            else if (Is(name, "q-key-time")) { KeyTime = value; }
            else if (Is(name, "q-header-list")) { HeaderList = value; }
            else if (Is(name, "q-url-param-list")) { ParameterList = value; }
            else if (Is(name, "q-signature")) { Signature = value; }
        }

        private static bool Is(ReadOnlySpan<char> name, string field) => name.Equals(field, StringComparison.OrdinalIgnoreCase);
    }
}
