using System.Buffers;
using System.Text;

namespace OriginGateway.Protocol;

/// <summary>Percent-encoding as the COS signature defines it: RFC 3986 unreserved characters kept, upper-case hex, space as %20.</summary>
internal static class CosUrlEncoding
{
    /// <summary>The most ASCII bytes <see cref="EncodeTo"/> writes for <paramref name="chars"/> characters (three UTF-8 bytes of three characters each).</summary>
    public static int MaxEncodedLength(int chars) => chars * 9;

    public static string Encode(string value)
    {
        if (!NeedsEncoding(value))
        {
            return value;
        }
        var rented = ArrayPool<byte>.Shared.Rent(MaxEncodedLength(value.Length));
        try
        {
            return Encoding.ASCII.GetString(rented, 0, EncodeTo(value, rented, lowerCase: false));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Writes the encoding of <paramref name="value"/> as ASCII into <paramref name="destination"/> (at least
    /// <see cref="MaxEncodedLength"/> bytes) and returns its length. <paramref name="lowerCase"/> writes it lower-cased,
    /// letters and hex digits alike — the form the signature gives parameter and header names.
    /// </summary>
    public static int EncodeTo(ReadOnlySpan<char> value, Span<byte> destination, bool lowerCase)
    {
        var hex = lowerCase ? HexLower : HexUpper;
        Span<byte> bytes = stackalloc byte[4];
        var length = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsUnreserved(c))
            {
                destination[length++] = (byte)(lowerCase && c is >= 'A' and <= 'Z' ? c | 0x20 : c);
                continue;
            }
            // A lone surrogate is written as U+FFFD, as the UTF-8 encoder writes it.
            var pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            var count = Encoding.UTF8.GetBytes(value.Slice(i, pair ? 2 : 1), bytes);
            i += pair ? 1 : 0;
            foreach (var b in bytes[..count])
            {
                destination[length++] = (byte)'%';
                destination[length++] = (byte)hex[b >> 4];
                destination[length++] = (byte)hex[b & 0xF];
            }
        }
        return length;
    }

    private static bool NeedsEncoding(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!IsUnreserved(c))
            {
                return true;
            }
        }
        return false;
    }

    private const string HexUpper = "0123456789ABCDEF";
    private const string HexLower = "0123456789abcdef";

    public static bool IsUnreserved(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~';
}
