using System.Text;

namespace OriginGateway.Protocol;

/// <summary>Percent-encoding as the COS signature defines it: RFC 3986 unreserved characters kept, upper-case hex, space as %20.</summary>
internal static class CosUrlEncoding
{
    public static string Encode(string value)
    {
        var needs = false;
        foreach (var c in value)
        {
            if (!IsUnreserved(c))
            {
                needs = true;
                break;
            }
        }
        if (!needs)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length * 3);
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsUnreserved(c))
            {
                builder.Append(c);
                continue;
            }
            int count;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                count = Encoding.UTF8.GetBytes(value.AsSpan(i, 2), bytes);
                i++;
            }
            else
            {
                count = Encoding.UTF8.GetBytes(value.AsSpan(i, 1), bytes);
            }
            foreach (var b in bytes[..count])
            {
                builder.Append('%').Append(HexUpper[b >> 4]).Append(HexUpper[b & 0xF]);
            }
        }
        return builder.ToString();
    }

    private const string HexUpper = "0123456789ABCDEF";

    public static bool IsUnreserved(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~';
}
