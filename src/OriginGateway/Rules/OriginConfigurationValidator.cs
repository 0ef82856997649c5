using System.Globalization;

namespace OriginGateway.Rules;

/// <summary>
/// The rules of <c>01-data-plane.md</c> §1.3 that a parsed configuration must satisfy. Reports
/// every violation, never only the first.
/// </summary>
internal static class OriginConfigurationValidator
{
    public const int MaxHostInfos = 10;
    public const int MaxNewHeaders = 10;

    public static void Validate(OriginConfiguration configuration, RuleErrors errors)
    {
        var priorities = new HashSet<int>();
        for (var i = 0; i < configuration.Rules.Count; i++)
        {
            var rule = configuration.Rules[i];
            var path = $"OriginRule[{i + 1}]";
            if (!priorities.Add(rule.Priority))
            {
                errors.Add($"{path}/RulePriority", $"priority {rule.Priority} is used by more than one rule.");
            }
            ValidateCondition(rule, path, errors);
            ValidateParameter(rule, path, errors);
            ValidateInfo(rule, path, errors);
        }
    }

    /// <summary>True when <paramref name="value"/> is an HTTP header name (an RFC 9110 token).</summary>
    public static bool IsToken(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Checks an origin host: <c>host[:port]</c> with a DNS name, IPv4 address or bracketed IPv6
    /// address, no scheme, path or userinfo.
    /// </summary>
    public static string? CheckHostName(string hostName)
    {
        if (string.IsNullOrWhiteSpace(hostName))
        {
            return "the host name is empty.";
        }
        if (hostName.Contains("://", StringComparison.Ordinal))
        {
            return $"'{hostName}' must be host[:port], without a scheme.";
        }
        if (hostName.IndexOfAny(['/', '?', '#']) >= 0)
        {
            return $"'{hostName}' must be host[:port], without a path.";
        }
        if (hostName.Contains('@', StringComparison.Ordinal))
        {
            return $"'{hostName}' must not carry user information.";
        }
        string host = hostName;
        string? port = null;
        if (hostName.StartsWith('['))
        {
            var close = hostName.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return $"'{hostName}' is not host[:port].";
            }
            host = hostName[1..close];
            var rest = hostName[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return $"'{hostName}' is not host[:port].";
                }
                port = rest[1..];
            }
            if (Uri.CheckHostName(host) != UriHostNameType.IPv6)
            {
                return $"'{hostName}' does not hold a valid IPv6 address.";
            }
        }
        else
        {
            var colon = hostName.LastIndexOf(':');
            if (colon >= 0)
            {
                host = hostName[..colon];
                port = hostName[(colon + 1)..];
            }
            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
            {
                return $"'{hostName}' is not a valid host name.";
            }
        }
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535))
        {
            return $"'{hostName}' has an invalid port.";
        }
        return null;
    }

    /// <summary>The host of a <c>host[:port]</c> (brackets of an IPv6 literal removed).</summary>
    public static string HostPart(string hostName)
    {
        if (hostName.StartsWith('['))
        {
            var close = hostName.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? hostName[1..close] : hostName;
        }
        var colon = hostName.LastIndexOf(':');
        return colon > 0 && hostName.IndexOf(':', StringComparison.Ordinal) == colon ? hostName[..colon] : hostName;
    }

    private static void ValidateCondition(OriginRule rule, string path, RuleErrors errors)
    {
        var code = rule.Condition?.HttpStatusCode?.Trim();
        if (code is null)
        {
            return;
        }
        if (rule.Type is OriginType.Proxy or OriginType.Mirror)
        {
            if (code != "404")
            {
                errors.Add($"{path}/OriginCondition/HTTPStatusCode", $"'{code}': {rule.Type} rules fire on 404 only.");
            }
        }
        else if (!IsRedirectCondition(code))
        {
            errors.Add($"{path}/OriginCondition/HTTPStatusCode", $"'{code}': a Redirect rule fires on a 4xx or 5xx code, or on 4XX / 5XX.");
        }
    }

    /// <summary>A 4xx/5xx status code, or the class 4XX / 5XX.</summary>
    public static bool IsRedirectCondition(string code) =>
        code.Equals("4XX", StringComparison.OrdinalIgnoreCase) || code.Equals("5XX", StringComparison.OrdinalIgnoreCase)
        || (code.Length == 3 && int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 400 and <= 599);

    private static void ValidateParameter(OriginRule rule, string path, RuleErrors errors)
    {
        if (rule.Parameter is not { } p)
        {
            return;
        }
        path += "/OriginParameter";
        if (p.Protocol is { } protocol && protocol is not ("HTTP" or "HTTPS" or "FOLLOW"))
        {
            errors.Add($"{path}/Protocol", $"'{protocol}' is not one of HTTP, HTTPS, FOLLOW.");
        }
        if (p.HttpRedirectCodes is { } codes)
        {
            // Mirror: the origin's redirects to follow (as the SDKs send them); Redirect and Proxy: the one code to answer.
            if (rule.Type == OriginType.Mirror)
            {
                foreach (var code in codes.Where(c => c is not (301 or 302 or 303 or 307 or 308)))
                {
                    errors.Add($"{path}/HttpRedirectCode", $"{code} is not a redirect a Mirror rule can follow (301, 302, 303, 307, 308).");
                }
            }
            else if (codes.Count > 1)
            {
                errors.Add($"{path}/HttpRedirectCode", $"appears {codes.Count} times; a {rule.Type} rule answers one code.");
            }
            else if (codes[0] is not (301 or 302 or 307))
            {
                errors.Add($"{path}/HttpRedirectCode", $"{codes[0]} is not one of 301, 302, 307.");
            }
        }
        if (p.CopyOriginData is not null && rule.Type != OriginType.Proxy)
        {
            errors.Add($"{path}/CopyOriginData", "is allowed on Proxy rules only.");
        }
        if (p.HttpHeader is not { } h)
        {
            return;
        }
        var headerPath = $"{path}/HttpHeader";
        if (h.NewHttpHeaders is { } added)
        {
            if (added.Count > MaxNewHeaders)
            {
                errors.Add($"{headerPath}/NewHttpHeaders", $"{added.Count} headers; at most {MaxNewHeaders} are allowed.");
            }
            foreach (var (name, value) in added)
            {
                CheckHeaderName(name, $"{headerPath}/NewHttpHeaders", errors);
                if (value.IndexOfAny(['\r', '\n', '\0']) >= 0)
                {
                    errors.Add($"{headerPath}/NewHttpHeaders", $"the value of '{name}' contains CR, LF or NUL.");
                }
            }
        }
        foreach (var name in h.FollowHttpHeaders ?? [])
        {
            CheckHeaderName(name, $"{headerPath}/FollowHttpHeaders", errors);
        }
        foreach (var name in h.ForbidFollowHeaders ?? [])
        {
            CheckHeaderName(name, $"{headerPath}/ForbidFollowHeaders", errors);
        }
    }

    private static void CheckHeaderName(string name, string path, RuleErrors errors)
    {
        if (!IsToken(name))
        {
            errors.Add(path, $"'{name}' is not a valid HTTP header name.");
        }
    }

    private static void ValidateInfo(OriginRule rule, string path, RuleErrors errors)
    {
        path += "/OriginInfo";
        var hosts = rule.Info.Hosts;
        if (hosts.Count == 0)
        {
            errors.Add(path, "at least one HostInfo is required.");
        }
        else if (rule.Type != OriginType.Mirror && hosts.Count > 1)
        {
            errors.Add(path, $"{rule.Type} rules take one HostInfo; {hosts.Count} were given.");
        }
        else if (hosts.Count > MaxHostInfos)
        {
            errors.Add(path, $"{hosts.Count} HostInfo elements; at most {MaxHostInfos} are allowed.");
        }
        for (var i = 0; i < hosts.Count; i++)
        {
            var hostPath = $"{path}/HostInfo[{i + 1}]";
            if (CheckHostName(hosts[i].HostName) is { } problem)
            {
                errors.Add($"{hostPath}/HostName", problem);
            }
            for (var s = 0; s < hosts[i].StandbyHostNames.Count; s++)
            {
                if (CheckHostName(hosts[i].StandbyHostNames[s]) is { } standbyProblem)
                {
                    errors.Add($"{hostPath}/StandbyHostName_{s + 1}", standbyProblem);
                }
            }
        }
        if (rule.Info.FileInfo is { FixedFilePath: { Length: > 0 } } file && (!string.IsNullOrEmpty(file.Prefix) || !string.IsNullOrEmpty(file.Suffix)))
        {
            errors.Add($"{path}/FileInfo", "FixedFilePath cannot be combined with a prefix or suffix configuration.");
        }
    }
}
