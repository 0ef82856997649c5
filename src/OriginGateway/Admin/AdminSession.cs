using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Security;

namespace OriginGateway.Admin;

/// <summary>
/// The admin page's login: a configured credential (SecretId and SecretKey, checked in constant time)
/// buys an 8-hour cookie holding the SecretId and its expiry, signed with HMAC-SHA256 under a key
/// drawn at start-up (a restart logs everyone out). HttpOnly, SameSite=Strict, path <c>/admin</c>.
/// </summary>
internal sealed class AdminSession(CredentialStore credentials, TimeProvider time)
{
    public const string CookieName = "og_admin";
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

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
        var value = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload)) + "." + Convert.ToHexStringLower(Sign(payload));
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
        if (!CryptographicOperations.FixedTimeEquals(given, Sign(payload)) || payload.Split('|') is not [var secretId, var expiresText]
            || !long.TryParse(expiresText, out var expires) || DateTimeOffset.FromUnixTimeSeconds(expires) < time.GetUtcNow())
        {
            return null;
        }
        return credentials.Find(secretId);
    }

    private byte[] Sign(string payload) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload));
}
