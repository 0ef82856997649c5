using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// Verifies AWS signatures with the gateway's credentials (SecretId = access key id): Signature Version 4
/// from the <c>Authorization</c> header (with <c>x-amz-content-sha256</c>) or a presigned URL's <c>X-Amz-*</c>
/// parameters — any region, checked with the region the client signed for; a hex payload hash is returned
/// for the body to be checked against as it is read — and Signature Version 2 (<c>Authorization: AWS
/// id:signature</c>, or <c>AWSAccessKeyId</c>/<c>Signature</c>/<c>Expires</c>) for older tools.
/// </summary>
internal sealed class S3Authenticator(CredentialStore credentials, TimeProvider time)
{
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(15);
    private const int MaxExpires = 7 * 24 * 3600;

    /// <summary>Whether a request is signed in the S3 dialect: an AWS4 <c>Authorization</c> header or presigned <c>X-Amz-*</c> parameters.</summary>
    public static bool Signs(IHeaderDictionary headers, IReadOnlyList<KeyValuePair<string, string>>? query) =>
        (headers.Authorization.Count == 1 && (headers.Authorization[0]!.StartsWith(S3Signature.Algorithm + " ", StringComparison.Ordinal)
            || headers.Authorization[0]!.StartsWith(V2Scheme, StringComparison.Ordinal)))
        || (query is not null && query.Any(p => p.Key is "X-Amz-Signature" or "X-Amz-Algorithm" or "AWSAccessKeyId"));

    private const string V2Scheme = "AWS ";
    private const string AmzPrefix = "x-amz-";

    /// <summary>The streaming payload kinds of <c>x-amz-content-sha256</c>: every chunk signed; and trailers after; unsigned chunks with trailers.</summary>
    private const string SignedStreaming = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    private const string SignedStreamingTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    private const string UnsignedStreamingTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    /// <param name="method">The request's method.</param>
    /// <param name="decodedPath">The path as the client meant it (SigV4 encodes it once).</param>
    /// <param name="resource">SigV2's resource: the path as sent, with <c>/bucket</c> in front when the host named the bucket.</param>
    /// <param name="query">The decoded query parameters.</param>
    /// <param name="headers">The request's headers.</param>
    public CosAuthResult Authenticate(string method, string decodedPath, string resource, IReadOnlyList<KeyValuePair<string, string>>? query, IHeaderDictionary headers)
    {
        var presignedV4 = query is not null && query.Any(p => p.Key is "X-Amz-Signature" or "X-Amz-Algorithm");
        var presignedV2 = query is not null && query.Any(p => p.Key == "AWSAccessKeyId");
        if ((presignedV4 || presignedV2) && headers.Authorization.Count > 0)
        {
            return S3Fail(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.");
        }
        if (presignedV4)
        {
            var presigned = Presigned(method, decodedPath, query!, headers);
            return presigned.Failed ? presigned : presigned with { PresignedUrl = true };
        }
        if (presignedV2 || headers.Authorization[0]!.StartsWith(V2Scheme, StringComparison.Ordinal))
        {
            return V2(method, resource, query ?? [], headers, presignedV2);
        }
        return Header(method, decodedPath, query ?? [], headers);
    }

    /// <summary>
    /// The signature of a browser form upload (POST Object): the form's <c>policy</c> field signed as it is (its base64
    /// text) — Signature Version 4 (<c>x-amz-algorithm</c>, <c>x-amz-credential</c>, <c>x-amz-date</c>,
    /// <c>x-amz-signature</c>: the hex HMAC-SHA256 with the scope's signing key) or Version 2 (<c>AWSAccessKeyId</c>,
    /// <c>signature</c>: the base64 HMAC-SHA1 with the secret). Anonymous when the form carries neither. The policy's
    /// own conditions are checked by <see cref="PostPolicy"/>. <paramref name="fields"/> has lower-case names.
    /// </summary>
    public CosAuthResult AuthenticateForm(IReadOnlyDictionary<string, string> fields)
    {
        var v4 = fields.ContainsKey("x-amz-signature") || fields.ContainsKey("x-amz-credential") || fields.ContainsKey("x-amz-algorithm");
        var v2 = fields.ContainsKey("awsaccesskeyid") || fields.ContainsKey("signature");
        if (!v4 && !v2)
        {
            return CosAuthResult.Anonymous with { Dialect = AuthDialect.S3 };
        }
        if (v4 && v2)
        {
            return S3Fail(400, "InvalidArgument", "A form carries one signature: Signature Version 4 (x-amz-*) or Version 2 (AWSAccessKeyId, signature).");
        }
        if (fields.GetValueOrDefault("policy") is not { Length: > 0 } policy)
        {
            return S3Fail(400, "InvalidArgument", "A signed form upload needs its policy field.");
        }
        if (v2)
        {
            if (fields.GetValueOrDefault("awsaccesskeyid") is not { Length: > 0 } id || fields.GetValueOrDefault("signature") is not { Length: > 0 } provided)
            {
                return S3Fail(400, "InvalidArgument", "A Signature Version 2 form needs AWSAccessKeyId and signature.");
            }
            if (credentials.Find(id) is not { } v2Credential)
            {
                return S3Fail(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
            }
            var expectedV2 = S3Signature.SignatureV2(v2Credential.SecretKey, policy);
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expectedV2), Encoding.ASCII.GetBytes(provided))
                ? new CosAuthResult(v2Credential, 0, null, null) { Dialect = AuthDialect.S3 }
                : S3Fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                    ("AWSAccessKeyId", id), ("StringToSign", policy), ("SignatureProvided", provided));
        }
        if (fields.GetValueOrDefault("x-amz-algorithm") != S3Signature.Algorithm || fields.GetValueOrDefault("x-amz-credential") is not { } credentialField
            || fields.GetValueOrDefault("x-amz-date") is not { } amzDate || fields.GetValueOrDefault("x-amz-signature") is not { Length: > 0 } signature)
        {
            return S3Fail(400, "InvalidArgument", "A Signature Version 4 form needs x-amz-algorithm=AWS4-HMAC-SHA256, x-amz-credential, x-amz-date and x-amz-signature.");
        }
        var parts = credentialField.Split('/');
        if (!TryParseAmzDate(amzDate, out _) || parts.Length != 5 || parts[4] != "aws4_request" || parts[3] != "s3" || parts[1] != amzDate[..8])
        {
            return S3Fail(400, "AuthorizationQueryParametersError", $"The credential '{credentialField}' is not AKID/date/region/s3/aws4_request for x-amz-date '{amzDate}'.");
        }
        if (credentials.Find(parts[0]) is not { } credential)
        {
            return S3Fail(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
        }
        var expected = S3Signature.Signature(S3Signature.SigningKey(credential.SecretKey, parts[1], parts[2], "s3"), policy);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()))
            ? new CosAuthResult(credential, 0, null, null) { Dialect = AuthDialect.S3 }
            : S3Fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                ("AWSAccessKeyId", parts[0]), ("StringToSign", policy), ("SignatureProvided", signature));
    }

    /// <summary>Signature Version 2: HMAC-SHA1 over method, Content-MD5, Content-Type, date (or expiry), x-amz-* headers and the resource.</summary>
    private CosAuthResult V2(string method, string resource, IReadOnlyList<KeyValuePair<string, string>> query, IHeaderDictionary headers, bool presigned)
    {
        string id, signature, dateLine;
        if (presigned)
        {
            string? Get(string name) => QueryParameters.Get(query, name);
            if (Get("AWSAccessKeyId") is not { } accessKey || Get("Signature") is not { } provided
                || !long.TryParse(Get("Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
            {
                return S3Fail(403, "AccessDenied", "Query-string authentication requires the AWSAccessKeyId, Signature and Expires parameters.");
            }
            if (time.GetUtcNow().ToUnixTimeSeconds() > expires)
            {
                return S3Fail(403, "AccessDenied", "Request has expired");
            }
            (id, signature, dateLine) = (accessKey, provided, expires.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            var value = headers.Authorization[0]![V2Scheme.Length..];
            var colon = value.LastIndexOf(':');
            if (colon <= 0)
            {
                return S3Fail(400, "InvalidArgument", "Authorization header is invalid -- one and only one ' ' (space) required; AWS access key id:signature.");
            }
            (id, signature) = (value[..colon], value[(colon + 1)..]);
            var hasAmzDate = headers.ContainsKey("x-amz-date");
            var date = hasAmzDate ? headers["x-amz-date"].ToString() : headers.Date.ToString();
            if (!DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
            {
                return S3Fail(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header.");
            }
            if ((time.GetUtcNow() - signedAt).Duration() > Skew)
            {
                return S3Fail(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
            }
            dateLine = hasAmzDate ? "" : date;
        }
        if (credentials.Find(id) is not { } credential)
        {
            return S3Fail(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
        }
        var amzHeaders = headers.Where(h => h.Key.StartsWith(AmzPrefix, StringComparison.OrdinalIgnoreCase)).Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(',', h.Value.ToArray()))).ToList();
        var contentMd5 = headers.ContentMD5.ToString();
        var contentType = headers.ContentType.ToString();
        if (presigned)
        {
            // A presigned URL carries the x-amz-* headers it was signed with (and Content-Type, Content-MD5) as
            // parameters — botocore's and boto's presigners move them there — and they are signed as the headers they
            // stand for (and applied as them: S3Dialect.ReadPresignedParameters).
            foreach (var (name, value) in query)
            {
                if (name.StartsWith(AmzPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    var lower = name.ToLowerInvariant();
                    amzHeaders.RemoveAll(h => h.Name == lower);
                    amzHeaders.Add((lower, value));
                }
            }
            contentMd5 = contentMd5.Length > 0 ? contentMd5 : QueryParameters.Get(query, "content-md5") ?? "";
            contentType = contentType.Length > 0 ? contentType : QueryParameters.Get(query, "content-type") ?? "";
        }
        var stringToSign = S3Signature.StringToSignV2(method, contentMd5, contentType, dateLine, amzHeaders, resource, query);
        var signatureBytes = Encoding.ASCII.GetBytes(signature);
        var matches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(S3Signature.SignatureV2(credential.SecretKey, stringToSign)), signatureBytes);
        if (!matches && resource.Length > 1 && resource.IndexOf('/', 1) < 0)
        {
            // A bucket named by the path alone (/bucket, path style) is the resource /bucket/ to S3 — what boto3
            // and botocore sign — while the path sent has no slash after the name.
            var bucketLevel = S3Signature.StringToSignV2(method, contentMd5, contentType, dateLine, amzHeaders, resource + "/", query);
            matches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(S3Signature.SignatureV2(credential.SecretKey, bucketLevel)), signatureBytes);
        }
        if (!matches)
        {
            return S3Fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                ("AWSAccessKeyId", id), ("StringToSign", stringToSign), ("SignatureProvided", signature));
        }
        // Version 2 signs every x-amz-* header by definition; their x-cos-* twins, which the gateway reads too, never.
        if (UnsignedDirectives.Headers(headers, [UnsignedDirectives.Cos], []) is { } unsigned)
        {
            return HeadersNotSigned(unsigned);
        }
        // Version 2 signs S3's sub-resources; COS's own (?append, ?rename, ?origin, …) never.
        if (presigned && UnsignedDirectives.Parameters(query, S3Signature.SignedInVersion2) is { } unsignedParameters)
        {
            return S3Fail(403, "AccessDenied", "There were query parameters present in the request which were not signed", ("ParametersNotSigned", unsignedParameters));
        }
        return new CosAuthResult(credential, 0, null, null) { Dialect = AuthDialect.S3, PresignedUrl = presigned };
    }

    private CosAuthResult Header(string method, string decodedPath, IReadOnlyList<KeyValuePair<string, string>> query, IHeaderDictionary headers)
    {
        var fields = headers.Authorization[0]![(S3Signature.Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2))
            .Where(f => f.Length == 2)
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaders) || !fields.TryGetValue("Signature", out var signature))
        {
            return S3Fail(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; it needs Credential, SignedHeaders and Signature.");
        }
        var amzDate = headers["x-amz-date"].ToString();
        if (amzDate.Length == 0 && DateTimeOffset.TryParse(headers.Date.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dated))
        {
            amzDate = dated.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        }
        if (!TryParseAmzDate(amzDate, out var signedAt))
        {
            return S3Fail(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header.");
        }
        if ((time.GetUtcNow() - signedAt).Duration() > Skew)
        {
            return S3Fail(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
        }
        var payload = headers["x-amz-content-sha256"].ToString();
        if (payload.Length == 0)
        {
            return S3Fail(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256.");
        }
        if (payload.StartsWith("STREAMING-", StringComparison.Ordinal) && payload is not (SignedStreaming or SignedStreamingTrailer or UnsignedStreamingTrailer))
        {
            return S3Fail(501, "NotImplemented", $"x-amz-content-sha256 {payload} is not supported by this gateway (Signature Version 4A); sign with Signature Version 4.");
        }
        if (payload is not (S3Signature.UnsignedPayload or SignedStreaming or SignedStreamingTrailer or UnsignedStreamingTrailer) && !S3Signature.IsHexHash(payload))
        {
            return S3Fail(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or the body's SHA-256 in hex.");
        }
        return Verify(method, decodedPath, query, headers, credential, signedHeaders, signature, amzDate, payload);
    }

    private CosAuthResult Presigned(string method, string decodedPath, IReadOnlyList<KeyValuePair<string, string>> query, IHeaderDictionary headers)
    {
        string? Get(string name) => QueryParameters.Get(query, name);
        if (Get("X-Amz-Algorithm") != S3Signature.Algorithm || Get("X-Amz-Credential") is not { } credential || Get("X-Amz-Date") is not { } amzDate
            || Get("X-Amz-SignedHeaders") is not { } signedHeaders || Get("X-Amz-Signature") is not { } signature)
        {
            return S3Fail(400, "AuthorizationQueryParametersError", "A presigned URL needs X-Amz-Algorithm=AWS4-HMAC-SHA256, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature.");
        }
        if (!int.TryParse(Get("X-Amz-Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || expires is < 1 or > MaxExpires)
        {
            return S3Fail(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be a number of seconds from 1 to 604800 (7 days).");
        }
        if (!TryParseAmzDate(amzDate, out var signedAt))
        {
            return S3Fail(400, "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO 8601 basic format, e.g. 20130524T000000Z.");
        }
        var now = time.GetUtcNow();
        if (signedAt - now > Skew)
        {
            return S3Fail(403, "AccessDenied", "Request is not valid yet.");
        }
        if (now > signedAt.AddSeconds(expires))
        {
            return S3Fail(403, "AccessDenied", "Request has expired");
        }
        var payload = Get("X-Amz-Content-Sha256") ?? S3Signature.UnsignedPayload;
        return Verify(method, decodedPath, query.Where(p => p.Key != "X-Amz-Signature").ToList(), headers, credential, signedHeaders, signature, amzDate, payload);
    }

    private CosAuthResult Verify(string method, string decodedPath, IReadOnlyList<KeyValuePair<string, string>> query, IHeaderDictionary headers,
        string credentialField, string signedHeaderList, string signature, string amzDate, string payload)
    {
        // Credential = AKID/yyyyMMdd/region/s3/aws4_request (the key id itself holds no '/').
        var parts = credentialField.Split('/');
        if (parts.Length != 5 || parts[4] != "aws4_request" || parts[3] != "s3" || parts[1] != amzDate[..8])
        {
            return S3Fail(400, "AuthorizationHeaderMalformed", $"The credential '{credentialField}' is not AKID/date/region/s3/aws4_request for the request's date.");
        }
        if (credentials.Find(parts[0]) is not { } credential)
        {
            return S3Fail(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
        }
        var names = signedHeaderList.Split(';');
        if (!names.Contains("host") || names.Any(n => n.Length == 0 || n.Any(char.IsAsciiLetterUpper)))
        {
            return S3Fail(400, "AuthorizationHeaderMalformed", "SignedHeaders must be lower-case names separated by ';' and include host.");
        }
        var scope = string.Join('/', parts[1..]);
        var signingKey = S3Signature.SigningKey(credential.SecretKey, parts[1], parts[2], "s3");
        var provided = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        var host = headers.Host.ToString();
        string expected = "", stringToSign = "", canonical = "";
        foreach (var spelling in HostSpellings(host))
        {
            var signedValues = names.Select(n => (n, n == "host" ? spelling : string.Join(',', headers[n].ToArray()))).ToList();
            var attempt = S3Signature.CanonicalRequest(method, decodedPath, query, signedValues, payload);
            var attemptToSign = S3Signature.StringToSign(amzDate, scope, attempt);
            var attemptSignature = S3Signature.Signature(signingKey, attemptToSign);
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(attemptSignature), provided))
            {
                expected = attemptSignature;
                break;
            }
            if (canonical.Length == 0)
            {
                // The error shows what the host as sent gives: that is the spelling clients are told to sign.
                (canonical, stringToSign) = (attempt, attemptToSign);
            }
        }
        if (expected.Length == 0)
        {
            return S3Fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                ("AWSAccessKeyId", parts[0]), ("StringToSign", stringToSign), ("SignatureProvided", signature), ("CanonicalRequest", canonical));
        }
        // S3's rule: every x-amz-* header is signed; and the x-cos-* twins the gateway reads as the same directives.
        if (UnsignedDirectives.Headers(headers, [UnsignedDirectives.Amz, UnsignedDirectives.Cos], names) is { } unsigned)
        {
            return HeadersNotSigned(unsigned);
        }
        return new CosAuthResult(credential, 0, null, null)
        {
            Dialect = AuthDialect.S3,
            PayloadSha256 = S3Signature.IsHexHash(payload) ? payload.ToLowerInvariant() : null,
            Streaming = payload switch
            {
                SignedStreaming or SignedStreamingTrailer => new StreamingPayload(new ChunkSigning(signingKey, amzDate, scope, expected), payload == SignedStreamingTrailer),
                UnsignedStreamingTrailer => new StreamingPayload(null, Trailer: true),
                _ => null,
            },
        };
    }

    /// <summary>
    /// The spellings of the <c>host</c> header a client may have signed, the header as sent first. Clients differ
    /// on the port: some sign the bare host name while their HTTP library sends <c>host:port</c> (signing libraries
    /// written for AWS endpoints, which never carry one — git-annex's S3 remote among them), others sign
    /// <c>host:80</c> or <c>host:443</c> while the default port is left out of the header sent. The port only says
    /// which listener of this gateway the request reached; the host name, the key and everything else signed must
    /// still match, so accepting these spellings binds the signature no less to this request.
    /// </summary>
    private static IEnumerable<string> HostSpellings(string host)
    {
        yield return host;
        var parsed = new HostString(host);
        if (parsed.Port is not null)
        {
            yield return parsed.Host;
        }
        else if (host.Length > 0)
        {
            yield return host + ":80";
            yield return host + ":443";
        }
    }

    private static bool TryParseAmzDate(string value, out DateTimeOffset at) =>
        DateTimeOffset.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);

    private static CosAuthResult HeadersNotSigned(string unsigned) =>
        S3Fail(403, "AccessDenied", "There were headers present in the request which were not signed", ("HeadersNotSigned", unsigned));

    private static CosAuthResult S3Fail(int status, string code, string message, params (string Name, string Value)[] details) =>
        CosAuthResult.Fail(status, code, message) with { Dialect = AuthDialect.S3, Details = details };
}
