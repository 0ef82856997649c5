using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Security;

namespace OriginGateway.Vod;

/// <summary>
/// Verifies TencentCloud API 3.0 signatures (<c>TC3-HMAC-SHA256</c>, <c>03-security.md</c> §3.1):
/// the canonical request rebuilt from the headers the client says it signed, the timestamp within
/// ±300 s, the credential scope's date matching the timestamp and its service <c>vod</c> or the
/// first label of the request's host (the official SDKs derive it that way, so an SDK pointed at
/// <c>127.0.0.1:8081</c> signs with service <c>127</c>), constant-time comparison.
/// </summary>
internal sealed class Tc3Authenticator(CredentialStore credentials, TimeProvider time)
{
    public const string Algorithm = "TC3-HMAC-SHA256";

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(300);

    /// <summary>The credential on success; otherwise the API error (code, message).</summary>
    public Tc3Result Authenticate(HttpRequest request, ReadOnlySpan<byte> body)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return Tc3Result.Fail("AuthFailure.SignatureFailure", "The request has no Authorization header (TC3-HMAC-SHA256).");
        }
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return Tc3Result.Fail("AuthFailure.SignatureFailure", "Only TC3-HMAC-SHA256 signatures are accepted.");
        }
        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authorization[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            var value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "Credential":
                    credential = value;
                    break;
                case "SignedHeaders":
                    signedHeaders = value;
                    break;
                case "Signature":
                    signature = value;
                    break;
            }
        }
        var scope = credential?.Split('/');
        if (scope is not { Length: 4 } || scope[3] != "tc3_request" || string.IsNullOrEmpty(signedHeaders) || string.IsNullOrEmpty(signature))
        {
            return Tc3Result.Fail("AuthFailure.SignatureFailure", "The Authorization header is malformed (Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders, Signature).");
        }
        if (!long.TryParse(request.Headers["X-TC-Timestamp"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            || timestamp > 253402300799)
        {
            return Tc3Result.Fail("AuthFailure.SignatureFailure", "X-TC-Timestamp is missing or not a Unix time in seconds.");
        }
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp);
        if ((time.GetUtcNow() - signedAt).Duration() > Window)
        {
            return Tc3Result.Fail("AuthFailure.SignatureExpire", "The signature has expired: X-TC-Timestamp differs from the server's time by more than 300 s.");
        }
        var (secretId, date, service) = (scope[0], scope[1], scope[2]);
        if (date != signedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
        {
            return Tc3Result.Fail("AuthFailure.SignatureFailure", "The credential scope's date is not the date of X-TC-Timestamp (UTC).");
        }
        var host = HostName(request.Headers.Host.ToString());
        if (service != "vod" && service != host.Split('.')[0])
        {
            return Tc3Result.Fail("AuthFailure.SignatureFailure", "The credential scope's service must be vod (or the first label of the host).");
        }
        if (credentials.Find(secretId) is not { } found)
        {
            return Tc3Result.Fail("AuthFailure.SecretIdNotFound", "The SecretId is not known to this gateway.");
        }

        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || !names.Contains("content-type"))
        {
            return Tc3Result.Fail("AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host.");
        }
        var canonicalHeaders = new StringBuilder();
        foreach (var name in names)
        {
            var value = name == "host" ? host : request.Headers[name].ToString();
            if (name != "host" && value.Length == 0)
            {
                return Tc3Result.Fail("AuthFailure.SignatureFailure", $"The signed header '{name}' is not in the request.");
            }
            canonicalHeaders.Append(name).Append(':').Append(value.Trim()).Append('\n');
        }
        var canonicalRequest = $"{request.Method}\n{request.Path.Value}\n{request.QueryString.Value?.TrimStart('?')}\n{canonicalHeaders}\n{signedHeaders}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        var stringToSign = $"{Algorithm}\n{timestamp}\n{date}/{service}/tc3_request\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var expected = Compute(found.SecretKey, date, service, stringToSign);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()))
            ? new Tc3Result(found, null, null)
            : Tc3Result.Fail("AuthFailure.SignatureFailure", "The request signature we calculated does not match the signature you provided.");
    }

    /// <summary>The signature of a string to sign (also what a client computes).</summary>
    public static string Compute(string secretKey, string date, string service, string stringToSign)
    {
        var secretDate = HMACSHA256.HashData(Encoding.UTF8.GetBytes("TC3" + secretKey), Encoding.UTF8.GetBytes(date));
        var secretService = HMACSHA256.HashData(secretDate, Encoding.UTF8.GetBytes(service));
        var secretSigning = HMACSHA256.HashData(secretService, "tc3_request"u8);
        return Convert.ToHexStringLower(HMACSHA256.HashData(secretSigning, Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>The host without its port (what the official SDKs sign).</summary>
    private static string HostName(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? host : host[..(close + 1)];
        }
        var colon = host.LastIndexOf(':');
        return colon < 0 ? host : host[..colon];
    }
}

internal readonly record struct Tc3Result(Credential? Credential, string? Code, string? Message)
{
    public bool Failed => Code is not null;

    public static Tc3Result Fail(string code, string message) => new(null, code, message);
}
