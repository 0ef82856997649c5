using System.Globalization;
using System.Text;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// The parts of a stored object, for <c>GET/HEAD ?partNumber=N</c> (S3's part GET, which the SDKs' transfer managers
/// use to download a multipart object part by part, with its original part boundaries). A multipart completion records
/// the lengths of the parts in the object's gateway metadata, run-length encoded (<c>8388608*127,1048576</c>); any other
/// object — a PUT, a copy, an origin pull, or a completion whose parts were too irregular to record briefly — is one
/// part, the whole object.
/// </summary>
internal static class ObjectParts
{
    /// <summary>The gateway-metadata entry of the part lengths.</summary>
    public const string Metadata = "parts";

    /// <summary>Part numbers run from 1 to this (S3's and COS's limit).</summary>
    public const int MaxNumber = 10000;

    // The layout travels with the object (the S3 store keeps gateway metadata in S3's user metadata, 2 KiB in all):
    // one longer than this is not recorded, and the object is served as one part.
    private const int MaxEncodedLength = 512;

    /// <summary>The layout of parts of these lengths, or null when it does not fit in <see cref="MaxEncodedLength"/>.</summary>
    public static string? Encode(IReadOnlyList<long> lengths)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lengths.Count;)
        {
            var run = 1;
            while (i + run < lengths.Count && lengths[i + run] == lengths[i])
            {
                run++;
            }
            text.Append(text.Length == 0 ? "" : ",").Append(lengths[i].ToString(CultureInfo.InvariantCulture));
            if (run > 1)
            {
                text.Append('*').Append(run.ToString(CultureInfo.InvariantCulture));
            }
            if (text.Length > MaxEncodedLength)
            {
                return null;
            }
            i += run;
        }
        return text.ToString();
    }

    /// <summary>
    /// Where part <paramref name="number"/> of <paramref name="entry"/> lies, and how many parts the object has (1 when
    /// it has no recorded layout, or one that does not add up to its length); null when it has fewer parts than that.
    /// </summary>
    public static (long Start, long Length, int Count)? Locate(ObjectEntry entry, int number)
    {
        if (entry.GatewayMetadata.TryGetValue(Metadata, out var layout) && Decode(layout, entry.Length) is { } runs)
        {
            var count = runs.Sum(r => r.Count);
            long start = 0;
            var seen = 0;
            foreach (var (length, run) in runs)
            {
                if (number <= seen + run)
                {
                    return (start + (number - seen - 1) * length, length, count);
                }
                start += run * length;
                seen += run;
            }
            return null;
        }
        return number == 1 ? (0, entry.Length, 1) : null;
    }

    /// <summary>
    /// The lengths of the parts <paramref name="entry"/> was uploaded in, from its recorded layout; null for an object
    /// that was not uploaded in parts, or whose layout was not recorded.
    /// </summary>
    public static List<long>? Lengths(ObjectEntry entry) =>
        entry.GatewayMetadata.TryGetValue(Metadata, out var layout) && Decode(layout, entry.Length) is { } runs
            ? [.. runs.SelectMany(r => Enumerable.Repeat(r.Length, r.Count))]
            : null;

    /// <summary>A part number (1 to 10000) of a query or a completion document, or false.</summary>
    public static bool TryParseNumber(string? text, out int number) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number is >= 1 and <= MaxNumber;

    private static List<(long Length, int Count)>? Decode(string layout, long total)
    {
        var runs = new List<(long, int)>();
        long sum = 0;
        foreach (var item in layout.Split(','))
        {
            var star = item.IndexOf('*', StringComparison.Ordinal);
            var lengthText = star < 0 ? item : item[..star];
            var countText = star < 0 ? "1" : item[(star + 1)..];
            if (!long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || !int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
            {
                return null;
            }
            runs.Add((length, count));
            sum += length * count;
        }
        return sum == total ? runs : null;
    }
}
