using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OriginGateway.Callbacks;

/// <summary>
/// <c>X-Origin-Gateway-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>:
/// a receiver recomputes it over the raw body to check who sent it and how fresh it is.
/// </summary>
public static class CallbackSignature
{
    public const string HeaderName = "X-Origin-Gateway-Signature";

    public static string Create(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var t = unixSeconds.ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    /// <summary>What a receiver does: parse, recompute, compare in constant time, check the age.</summary>
    public static bool Verify(string secret, string header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        string? t = null, v1 = null;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                t = part[2..];
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
            {
                v1 = part[3..];
            }
        }
        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(Mac(secret, t, body)));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(v1.ToLowerInvariant()));
    }

    private static byte[] Mac(string secret, string t, ReadOnlySpan<byte> body)
    {
        var message = new byte[t.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(t, message);
        message[t.Length] = (byte)'.';
        body.CopyTo(message.AsSpan(t.Length + 1));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }
}
