using System.Security.Cryptography;
using System.Text;

namespace OriginGateway.Protocol;

/// <summary>
/// How an object key appears in logs: the first 8 bytes of its SHA-256 as 16 hex digits — never the key
/// itself (keys can carry personal data), and the same hash in every line about that key (access log,
/// fill, store), so one key's lines can be found together.
/// </summary>
internal static class KeyHash
{
    public static string Of(string key) => Convert.ToHexStringLower(Digest(key).AsSpan(0, 8));

    /// <summary>The whole SHA-256 in hex, for names made from a key that must not collide (a fill claim's Redis key); <see cref="Of"/> is its first 16 digits.</summary>
    public static string Full(string key) => Convert.ToHexStringLower(Digest(key));

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
