using System.Xml.Linq;
using OriginGateway.Protocol;

namespace OriginGateway.FrontDoor;

/// <summary>
/// Object tags as COS has them: a <c>Tagging</c> document (<c>PUT ?tagging</c>) or the
/// <c>x-cos-tagging</c> header (<c>k1=v1&amp;k2=v2</c>, percent-encoded) on PUT, multipart initiate and
/// copy. At most 10 tags, keys of 1–128 and values of up to 256 characters (letters, digits, spaces and
/// <c>+ - = . _ : / @</c>), keys unique; anything else is a 400 <c>InvalidTag</c>.
/// </summary>
internal static class ObjectTagging
{
    public const int MaxTags = 10;
    public const int MaxKeyLength = 128;
    public const int MaxValueLength = 256;
    public const int MaxDocumentBytes = 64 * 1024;

    /// <summary>The tags of an <c>x-cos-tagging</c> header; null with the message of a 400 <c>InvalidTag</c>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? FromHeader(string header, out string? error)
    {
        if (!QueryParameters.TryParse(header, out var pairs))
        {
            error = "x-cos-tagging is not valid percent-encoded UTF-8 (k1=v1&k2=v2).";
            return null;
        }
        return Check(pairs, out error);
    }

    /// <summary>The tags of a <c>Tagging</c> document; null with the error code and message of a 400.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? FromXml(ReadOnlySpan<byte> body, out string? code, out string? error)
    {
        code = "MalformedXML";
        if (RequestXml.TryLoad(body, MaxDocumentBytes, out error) is not { Root: { } root })
        {
            return null;
        }
        if (root.Name.LocalName != "Tagging" || RequestXml.Child(root, "TagSet") is not { } set)
        {
            error = "The document must be a Tagging element with a TagSet.";
            return null;
        }
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var tag in RequestXml.Children(set, "Tag"))
        {
            if (RequestXml.Child(tag, "Key") is not { } key)
            {
                error = "Every Tag needs a Key.";
                return null;
            }
            tags.Add(new(key.Value, RequestXml.Child(tag, "Value")?.Value ?? ""));
        }
        code = "InvalidTag";
        return Check(tags, out error);
    }

    public static XElement ToXml(IReadOnlyList<KeyValuePair<string, string>> tags) =>
        new("Tagging", new XElement("TagSet", tags.Select(t => new XElement("Tag", new XElement("Key", t.Key), new XElement("Value", t.Value)))));

    private static List<KeyValuePair<string, string>>? Check(List<KeyValuePair<string, string>> tags, out string? error)
    {
        error = tags.Count > MaxTags ? $"An object takes at most {MaxTags} tags."
            : tags.FirstOrDefault(t => t.Key.Length is 0 or > MaxKeyLength || !Allowed(t.Key)) is { Key: not null } badKey
                ? $"Tag key '{badKey.Key}' must be 1 to {MaxKeyLength} characters of letters, digits, spaces and + - = . _ : / @."
            : tags.FirstOrDefault(t => t.Value.Length > MaxValueLength || !Allowed(t.Value)) is { Key: not null } badValue
                ? $"The value of tag '{badValue.Key}' must be at most {MaxValueLength} characters of letters, digits, spaces and + - = . _ : / @."
            : tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() != tags.Count ? "Tag keys must be unique."
            : null;
        return error is null ? tags : null;
    }

    private static bool Allowed(string text) => text.All(c => char.IsLetterOrDigit(c) || c is ' ' or '+' or '-' or '=' or '.' or '_' or ':' or '/' or '@');
}
