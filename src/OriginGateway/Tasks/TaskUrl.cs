using System.Text;

namespace OriginGateway.Tasks;

/// <summary>
/// URLs that clients hand to tasks (fetch sources, callbacks): absolute http(s), at most 8 KiB,
/// no user information. The path and query are used as given — a client's percent-encoding is
/// kept — and only characters that cannot appear in a request target (spaces, non-ASCII,
/// controls, <c>"&lt;&gt;\^`{|}</c>) are percent-encoded. The fragment is dropped.
/// </summary>
internal static class TaskUrl
{
    public const int MaxLength = 8 * 1024;

    private static readonly UriCreationOptions AsGiven = new() { DangerousDisablePathAndQueryCanonicalization = true };

    /// <param name="text">The URL as the client sent it.</param>
    /// <param name="schemeOptional">A URL without a scheme means <c>http://</c> (the COS fetch API's own sample).</param>
    /// <param name="error">Why it is refused.</param>
    public static Uri? Parse(string? text, bool schemeOptional, out string? error)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "is empty";
            return null;
        }
        if (text.Length > MaxLength)
        {
            error = $"is longer than {MaxLength} characters";
            return null;
        }
        if (schemeOptional && !text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }
        if (text.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0)
        {
            text = text[..hash];
        }
        if (!Uri.TryCreate(EscapeIllegal(text), AsGiven, out var url) || !url.IsAbsoluteUri)
        {
            error = "is not an absolute URL";
            return null;
        }
        if (url.Scheme is not ("http" or "https"))
        {
            error = "must use http or https";
            return null;
        }
        if (url.Host.Length == 0)
        {
            error = "has no host";
            return null;
        }
        if (url.UserInfo.Length > 0)
        {
            error = "must not carry user information";
            return null;
        }
        error = null;
        return url;
    }

    private static string EscapeIllegal(string text)
    {
        var builder = new StringBuilder(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c > 0x20 && c < 0x7F && c is not ('"' or '<' or '>' or '\\' or '^' or '`' or '{' or '|' or '}'))
            {
                builder.Append(c);
                continue;
            }
            var length = char.IsSurrogatePair(text, i)
                ? Encoding.UTF8.GetBytes(text.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(text.AsSpan(i, 1), utf8);
            foreach (var b in utf8[..length])
            {
                builder.Append('%').Append(Convert.ToHexString([b]));
            }
        }
        return builder.ToString();
    }
}
