using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>
/// The <c>response-*</c> query parameters of a signed or presigned GET (COS/S3): they replace the
/// stored <c>Content-Type</c>, <c>Content-Language</c>, <c>Expires</c>, <c>Cache-Control</c>,
/// <c>Content-Disposition</c> and <c>Content-Encoding</c> of the answer. Anonymous requests may not
/// use them (400 <c>InvalidRequest</c>, as S3).
/// </summary>
internal static class ResponseOverrides
{
    private static readonly (string Parameter, string Header)[] Map =
    [
        ("response-content-type", "Content-Type"),
        ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"),
        ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"),
        ("response-content-encoding", "Content-Encoding"),
    ];

    /// <summary>Null when the overrides (if any) may be used; otherwise the COS error to answer.</summary>
    public static (string Code, string Message)? Check(List<KeyValuePair<string, string>> query, bool anonymous)
    {
        foreach (var (name, value) in query)
        {
            if (!name.StartsWith("response-", StringComparison.OrdinalIgnoreCase) || Header(name) is null)
            {
                continue;
            }
            if (anonymous)
            {
                return ("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.");
            }
            if (value.Any(char.IsControl))
            {
                return ("InvalidArgument", $"{name} contains a control character.");
            }
        }
        return null;
    }

    public static void Apply(IHeaderDictionary headers, List<KeyValuePair<string, string>> query)
    {
        foreach (var (name, value) in query)
        {
            if (Header(name) is { } header)
            {
                headers[header] = value;
            }
        }
    }

    private static string? Header(string parameter)
    {
        foreach (var (name, header) in Map)
        {
            if (name.Equals(parameter, StringComparison.OrdinalIgnoreCase))
            {
                return header;
            }
        }
        return null;
    }
}
