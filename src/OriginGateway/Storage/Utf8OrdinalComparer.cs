namespace OriginGateway.Storage;

/// <summary>
/// Orders strings as their UTF-8 bytes would sort (Unicode code point order), which is the order
/// COS and S3 list keys in. UTF-16 ordinal order differs from it only where a surrogate meets a
/// character in U+E000..U+FFFF, so the comparison is ordinal with that one correction.
/// </summary>
internal sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static readonly Utf8OrdinalComparer Instance = new();

    /// <summary>A value that sorts after every key; used as an open upper bound for range views.</summary>
    public static readonly string Max = new('\uffff', 1);

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null || ReferenceEquals(y, Max))
        {
            return -1;
        }
        if (y is null || ReferenceEquals(x, Max))
        {
            return 1;
        }

        var common = x.AsSpan().CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length - y.Length;
        }
        return Fix(x[common]) - Fix(y[common]);
    }

    // Surrogates (D800..DFFF) move above E000..FFFF, which moves down: code point order.
    private static int Fix(char c) => c >= '\ud800' ? (c <= '\udfff' ? c + 0x2000 : c - 0x800) : c;
}
