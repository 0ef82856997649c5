using System.Globalization;
using System.Xml.Linq;
using OriginGateway.Protocol;

namespace OriginGateway.Cors;

/// <summary>One <c>CORSRule</c>.</summary>
/// <param name="Id">Optional name (up to 255 characters).</param>
/// <param name="Origins">Allowed origins, each with at most one <c>*</c> (<c>*</c> alone = any origin).</param>
/// <param name="Methods">Allowed methods: GET, PUT, POST, DELETE, HEAD.</param>
/// <param name="Headers">Request headers a preflight may ask for, each with at most one <c>*</c>; compared case-insensitively.</param>
/// <param name="ExposeHeaders">Response headers the browser may show to the page.</param>
/// <param name="MaxAgeSeconds">How long a browser may cache the preflight answer; null = not said.</param>
internal sealed record CorsRule(string? Id, IReadOnlyList<string> Origins, IReadOnlyList<string> Methods, IReadOnlyList<string> Headers, IReadOnlyList<string> ExposeHeaders, int? MaxAgeSeconds)
{
    /// <summary>The Access-Control-Allow-Methods value, formatted once.</summary>
    public string MethodList { get; } = string.Join(", ", Methods);

    /// <summary>The Access-Control-Expose-Headers value, formatted once; null when there are none.</summary>
    public string? ExposeList { get; } = ExposeHeaders.Count > 0 ? string.Join(", ", ExposeHeaders) : null;

    public bool AllowsOrigin(string origin) => Origins.Any(o => CorsConfiguration.WildcardMatch(o, origin, StringComparison.Ordinal));

    public bool AllowsMethod(string method) => Methods.Contains(method, StringComparer.Ordinal);

    public bool AllowsHeader(string header) => Headers.Any(h => CorsConfiguration.WildcardMatch(h, header, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// A bucket's <c>CORSConfiguration</c> (COS/S3 XML): parsed with every problem reported, written back
/// normalised, and asked which rule — the first that fits — allows a cross-origin request.
/// </summary>
internal sealed class CorsConfiguration(IReadOnlyList<CorsRule> rules)
{
    public const int MaxRules = 100;
    public const int MaxDocumentBytes = 64 * 1024;

    private static readonly string[] KnownMethods = ["GET", "PUT", "POST", "DELETE", "HEAD"];

    public IReadOnlyList<CorsRule> Rules { get; } = rules;

    /// <summary>The first rule allowing this origin and method and (for a preflight) every requested header.</summary>
    public CorsRule? Match(string origin, string method, IReadOnlyList<string>? requestHeaders = null)
    {
        foreach (var rule in Rules)
        {
            if (rule.AllowsOrigin(origin) && rule.AllowsMethod(method) && (requestHeaders is null || requestHeaders.All(rule.AllowsHeader)))
            {
                return rule;
            }
        }
        return null;
    }

    /// <summary>The configuration, or null with the problems (every one) and whether the XML itself was broken.</summary>
    public static CorsConfiguration? Parse(ReadOnlySpan<byte> document, out List<string> errors, out bool malformed)
    {
        errors = [];
        malformed = false;
        if (RequestXml.TryLoad(document, MaxDocumentBytes, out var xmlError) is not { Root: { } root })
        {
            errors.Add(xmlError ?? "The document is empty.");
            malformed = true;
            return null;
        }
        if (root.Name.LocalName != "CORSConfiguration")
        {
            errors.Add("The root element must be CORSConfiguration.");
            return null;
        }
        var rules = new List<CorsRule>();
        var index = 0;
        foreach (var element in root.Elements())
        {
            if (element.Name.LocalName == "ResponseVary")
            {
                continue;
            }
            if (element.Name.LocalName != "CORSRule")
            {
                errors.Add($"CORSConfiguration: unknown element <{element.Name.LocalName}>.");
                continue;
            }
            index++;
            if (ParseRule(element, $"CORSRule[{index}]", errors) is { } rule)
            {
                rules.Add(rule);
            }
        }
        if (index == 0)
        {
            errors.Add("CORSConfiguration: at least one CORSRule is needed.");
        }
        if (index > MaxRules)
        {
            errors.Add($"CORSConfiguration: at most {MaxRules} CORSRule elements.");
        }
        return errors.Count == 0 ? new CorsConfiguration(rules) : null;
    }

    private static CorsRule? ParseRule(XElement element, string path, List<string> errors)
    {
        var count = errors.Count;
        string? id = null;
        int? maxAge = null;
        List<string> origins = [], methods = [], headers = [], expose = [];
        foreach (var child in element.Elements())
        {
            var value = child.Value.Trim();
            switch (child.Name.LocalName)
            {
                case "ID":
                    if (value.Length > 255)
                    {
                        errors.Add($"{path}/ID: at most 255 characters.");
                    }
                    id = value;
                    break;
                case "AllowedOrigin":
                    if (value.Length == 0 || value.Count(c => c == '*') > 1 || value.Any(char.IsWhiteSpace))
                    {
                        errors.Add($"{path}/AllowedOrigin '{value}': an origin (scheme://host[:port]) with at most one '*', or '*'.");
                    }
                    origins.Add(value);
                    break;
                case "AllowedMethod":
                    if (!KnownMethods.Contains(value, StringComparer.Ordinal))
                    {
                        errors.Add($"{path}/AllowedMethod '{value}': one of GET, PUT, POST, DELETE, HEAD.");
                    }
                    methods.Add(value);
                    break;
                case "AllowedHeader":
                    if (value.Length == 0 || value.Count(c => c == '*') > 1 || value.Any(char.IsWhiteSpace))
                    {
                        errors.Add($"{path}/AllowedHeader '{value}': a header name with at most one '*'.");
                    }
                    headers.Add(value);
                    break;
                case "ExposeHeader":
                    if (value.Length == 0 || value.Contains('*', StringComparison.Ordinal) || value.Any(char.IsWhiteSpace))
                    {
                        errors.Add($"{path}/ExposeHeader '{value}': a header name.");
                    }
                    expose.Add(value);
                    break;
                case "MaxAgeSeconds":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    {
                        errors.Add($"{path}/MaxAgeSeconds '{value}': a non-negative integer.");
                    }
                    maxAge = seconds;
                    break;
                default:
                    errors.Add($"{path}: unknown element <{child.Name.LocalName}>.");
                    break;
            }
        }
        if (origins.Count == 0)
        {
            errors.Add($"{path}: at least one AllowedOrigin.");
        }
        if (methods.Count == 0)
        {
            errors.Add($"{path}: at least one AllowedMethod.");
        }
        return errors.Count == count ? new CorsRule(id, origins, methods.Distinct().ToList(), headers, expose, maxAge) : null;
    }

    /// <summary>The configuration as stored and answered: elements in the documented order.</summary>
    public string Write() => new XElement("CORSConfiguration", Rules.Select(r => new XElement("CORSRule",
        r.Id is null ? null : new XElement("ID", r.Id),
        r.Origins.Select(o => new XElement("AllowedOrigin", o)),
        r.Methods.Select(m => new XElement("AllowedMethod", m)),
        r.Headers.Select(h => new XElement("AllowedHeader", h)),
        r.ExposeHeaders.Select(h => new XElement("ExposeHeader", h)),
        r.MaxAgeSeconds is { } age ? new XElement("MaxAgeSeconds", age) : null))).ToString(SaveOptions.DisableFormatting);

    /// <summary>Whether <paramref name="value"/> fits <paramref name="pattern"/>, where one <c>*</c> stands for any run of characters.</summary>
    internal static bool WildcardMatch(string pattern, string value, StringComparison comparison)
    {
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(pattern, value, comparison);
        }
        var head = pattern.AsSpan(0, star);
        var tail = pattern.AsSpan(star + 1);
        return value.Length >= head.Length + tail.Length
            && value.AsSpan().StartsWith(head, comparison)
            && value.AsSpan().EndsWith(tail, comparison);
    }
}
