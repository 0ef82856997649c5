using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Security;

namespace OriginGateway.Admin;

/// <summary>
/// The admin page's login: a configured credential (SecretId and SecretKey, checked in constant time)
/// buys an 8-hour cookie holding the SecretId and its expiry, signed with HMAC-SHA256 under a key derived
/// from that credential's SecretKey — so every replica configured with the credential takes the cookie, a
/// restart keeps it, and changing the SecretKey ends its sessions. HttpOnly, SameSite=Strict, path <c>/admin</c>.
/// </summary>
internal sealed class AdminSession(CredentialStore credentials, TimeProvider time)
{
    public const string CookieName = "og_admin";
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    /// <summary>What a credential's session key is derived for: the SecretKey signs nothing else with it.</summary>
    private static readonly byte[] KeyPurpose = "OriginGateway admin session cookie v1"u8.ToArray();

    /// <summary>Checks a login; on success sets the cookie and returns the credential.</summary>
    public Credential? LogIn(HttpContext context, string secretId, string secretKey)
    {
        if (credentials.Find(secretId) is not { } credential
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(credential.SecretKey), Encoding.UTF8.GetBytes(secretKey)))
        {
            return null;
        }
        var expires = time.GetUtcNow() + Lifetime;
        var payload = credential.SecretId + "|" + expires.ToUnixTimeSeconds();
        var value = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload)) + "." + Convert.ToHexStringLower(Sign(credential, payload));
        context.Response.Cookies.Append(CookieName, value, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/admin",
            Secure = context.Request.IsHttps,
            Expires = expires,
        });
        return credential;
    }

    public static void LogOut(HttpContext context) => context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/admin" });

    /// <summary>The credential of a valid, unexpired session cookie; null otherwise.</summary>
    public Credential? Current(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var value) || value.Split('.') is not [var encoded, var mac])
        {
            return null;
        }
        string payload;
        byte[] given;
        try
        {
            payload = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(encoded));
            given = Convert.FromHexString(mac);
        }
        catch (FormatException)
        {
            return null;
        }
        if (payload.Split('|') is not [var secretId, var expiresText] || credentials.Find(secretId) is not { } credential
            || !CryptographicOperations.FixedTimeEquals(given, Sign(credential, payload))
            || !long.TryParse(expiresText, out var expires) || DateTimeOffset.FromUnixTimeSeconds(expires) < time.GetUtcNow())
        {
            return null;
        }
        return credential;
    }

    private static byte[] Sign(Credential credential, string payload) =>
        HMACSHA256.HashData(HMACSHA256.HashData(Encoding.UTF8.GetBytes(credential.SecretKey), KeyPurpose), Encoding.UTF8.GetBytes(payload));
}
