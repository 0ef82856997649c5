using System.Buffers;
using System.Text;

namespace OriginGateway.Protocol;

internal enum KeyStatus
{
    Valid,
    /// <summary>Malformed percent-encoding, invalid UTF-8 or a control character.</summary>
    Invalid,
    /// <summary>Over <see cref="KeyDecoding.MaxKeyBytes"/> bytes.</summary>
    TooLong,
}

/// <summary>
/// Turns the raw request target into keys: percent-decoded exactly once, strict UTF-8 (overlong
/// forms and lone surrogates refused), no control characters, 850 bytes at most. Nothing is
/// normalised: <c>a//b</c>, <c>a/../b</c> and <c>dir/</c> are keys like any other.
/// </summary>
internal static class KeyDecoding
{
    public const int MaxKeyBytes = 850;

    /// <summary>The message of a <c>KeyTooLong</c> error, wherever a key is refused for its length.</summary>
    public static readonly string TooLongMessage = $"The key is longer than {MaxKeyBytes} bytes.";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes a raw path (or a part of it).</summary>
    public static KeyStatus TryDecodePath(ReadOnlySpan<char> raw, out string decoded) => Decode(raw, plusIsSpace: false, out decoded);

    /// <summary>Decodes one query name or value (<c>+</c> is a space there).</summary>
    public static KeyStatus TryDecodeQueryPart(ReadOnlySpan<char> raw, out string decoded) => Decode(raw, plusIsSpace: true, out decoded);

    /// <summary>Checks a decoded key against the limits of <c>03-security.md</c> §3.4.</summary>
    public static KeyStatus Check(string key)
    {
        foreach (var c in key)
        {
            if (char.IsControl(c))
            {
                return KeyStatus.Invalid;
            }
        }
        return key.Length > MaxKeyBytes / 3 && Encoding.UTF8.GetByteCount(key) > MaxKeyBytes ? KeyStatus.TooLong : KeyStatus.Valid;
    }

    private static KeyStatus Decode(ReadOnlySpan<char> raw, bool plusIsSpace, out string decoded)
    {
        var simple = true;
        foreach (var c in raw)
        {
            if (c is '%' or > '\u007e' || (plusIsSpace && c == '+'))
            {
                simple = false;
                break;
            }
        }
        if (simple)
        {
            decoded = raw.ToString();
            return KeyStatus.Valid;
        }

        var rented = ArrayPool<byte>.Shared.Rent(raw.Length * 4);
        try
        {
            var length = 0;
            Span<byte> utf8 = stackalloc byte[4];
            for (var i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (c == '%')
                {
                    if (i + 2 >= raw.Length || !IsHex(raw[i + 1]) || !IsHex(raw[i + 2]))
                    {
                        decoded = "";
                        return KeyStatus.Invalid;
                    }
                    rented[length++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                    i += 2;
                }
                else if (plusIsSpace && c == '+')
                {
                    rented[length++] = (byte)' ';
                }
                else if (c < 0x80)
                {
                    rented[length++] = (byte)c;
                }
                else
                {
                    // Kestrel hands non-ASCII request-target bytes over already decoded as UTF-8.
                    var count = char.IsHighSurrogate(c) && i + 1 < raw.Length
                        ? Encoding.UTF8.GetBytes(raw.Slice(i++, 2), utf8)
                        : Encoding.UTF8.GetBytes(raw.Slice(i, 1), utf8);
                    utf8[..count].CopyTo(rented.AsSpan(length));
                    length += count;
                }
            }
            try
            {
                decoded = StrictUtf8.GetString(rented, 0, length);
                return KeyStatus.Valid;
            }
            catch (DecoderFallbackException)
            {
                decoded = "";
                return KeyStatus.Invalid;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
