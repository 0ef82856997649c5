using System.Globalization;

namespace OriginGateway.Rules;

internal enum OriginProtocol
{
    Follow,
    Http,
    Https,
}

/// <summary>A weighted origin host and its standbys, in the order they are tried.</summary>
internal sealed record CompiledHost(string HostName, int Weight, IReadOnlyList<string> Standbys);

/// <summary>One rule with every default applied, ready for the request path (immutable).</summary>
internal sealed class CompiledRule
{
    private readonly int _statusCode;
    private readonly int _statusClass;

    public CompiledRule(OriginRule rule)
    {
        Source = rule;
        Priority = rule.Priority;
        PriorityText = rule.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Type = rule.Type;
        Prefix = rule.Condition?.Prefix ?? "";
        var condition = rule.Condition?.HttpStatusCode?.Trim() ?? "404";
        if (condition.Length == 3 && (condition[1] is 'X' or 'x') && (condition[2] is 'X' or 'x'))
        {
            _statusClass = condition[0] - '0';
        }
        else
        {
            _statusCode = int.Parse(condition, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        var p = rule.Parameter;
        Protocol = p?.Protocol switch
        {
            "HTTP" => OriginProtocol.Http,
            "HTTPS" => OriginProtocol.Https,
            _ => OriginProtocol.Follow,
        };
        FollowQueryString = p?.FollowQueryString ?? true;
        FollowRedirection = p?.FollowRedirection ?? true;
        TransparentErrorCode = p?.TransparentErrorCode ?? false;
        ExplicitRedirectCode = rule.Type != OriginType.Mirror && p?.HttpRedirectCodes is { Count: > 0 } codes ? codes[0] : null;
        FollowedRedirectCodes = rule.Type == OriginType.Mirror && p?.HttpRedirectCodes is { Count: > 0 } followed ? followed.ToHashSet() : null;
        CopyOriginData = p?.CopyOriginData ?? true;
        var h = p?.HttpHeader;
        FollowAllHeaders = h?.FollowAllHeaders ?? false;
        NewHeaders = (h?.NewHttpHeaders ?? []).Where(kv => kv.Value.Length > 0).ToArray();
        FollowHeaders = new HashSet<string>(h?.FollowHttpHeaders ?? [], StringComparer.OrdinalIgnoreCase);
        ForbidHeaders = new HashSet<string>(h?.ForbidFollowHeaders ?? [], StringComparer.OrdinalIgnoreCase);
        StandbyStatusCodes = new HashSet<int>(rule.StandbyStatusCodes ?? []);
        Hosts = rule.Info.Hosts.Select(host => new CompiledHost(host.HostName, host.Weight ?? 1, host.StandbyHostNames)).ToArray();
        var file = rule.Info.FileInfo;
        FixedFilePath = string.IsNullOrEmpty(file?.FixedFilePath) ? null : file.FixedFilePath;
        NewPrefix = string.IsNullOrEmpty(file?.Prefix) ? null : file.Prefix;
        Suffix = file?.Suffix ?? "";
    }

    public OriginRule Source { get; }

    public int Priority { get; }

    /// <summary>The priority as the <c>x-origin-rule</c> header carries it.</summary>
    public string PriorityText { get; }

    public OriginType Type { get; }

    /// <summary>The condition prefix; empty matches every key.</summary>
    public string Prefix { get; }

    public OriginProtocol Protocol { get; }

    public bool FollowQueryString { get; }

    public bool FollowRedirection { get; }

    public bool TransparentErrorCode { get; }

    /// <summary>Mirror: the origin redirect codes followed when the rule names some (HttpRedirectCode); null follows every 3xx.</summary>
    public IReadOnlySet<int>? FollowedRedirectCodes { get; }

    /// <summary>HttpRedirectCode when the rule sets one.</summary>
    public int? ExplicitRedirectCode { get; }

    /// <summary>The Redirect action's status: the explicit code, else 302.</summary>
    public int RedirectCode => ExplicitRedirectCode ?? 302;

    /// <summary>Proxy: store what passes through (default true); false = pure pass-through.</summary>
    public bool CopyOriginData { get; }

    public bool FollowAllHeaders { get; }

    /// <summary>NewHttpHeaders with a non-empty value, sent literally.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> NewHeaders { get; }

    public IReadOnlySet<string> FollowHeaders { get; }

    public IReadOnlySet<string> ForbidHeaders { get; }

    /// <summary>HTTPStandbyCode: origin statuses (besides 5xx) that move to the next standby.</summary>
    public IReadOnlySet<int> StandbyStatusCodes { get; }

    public IReadOnlyList<CompiledHost> Hosts { get; }

    public string? FixedFilePath { get; }

    public string? NewPrefix { get; }

    public string Suffix { get; }

    /// <summary>The action's name in <c>x-origin-action</c>, explanations, logs and metrics.</summary>
    public string ActionName => Type switch
    {
        OriginType.Mirror => "mirror",
        OriginType.Proxy => "proxy",
        _ => "redirect",
    };

    /// <summary>Whether the action stores the object (Mirror always; Proxy unless CopyOriginData=false).</summary>
    public bool Stores => Type == OriginType.Mirror || (Type == OriginType.Proxy && CopyOriginData);

    /// <summary>Whether the rule fires for a key whose bucket answer would be <paramref name="bucketStatus"/>.</summary>
    public bool Matches(string key, int bucketStatus)
    {
        var statusMatches = _statusClass != 0 ? bucketStatus / 100 == _statusClass : bucketStatus == _statusCode;
        return statusMatches && key.StartsWith(Prefix, StringComparison.Ordinal);
    }

    /// <summary>The origin path (with its leading '/') for a key, not yet percent-encoded.</summary>
    public string OriginPath(string key)
    {
        if (FixedFilePath is not null)
        {
            return FixedFilePath.StartsWith('/') ? FixedFilePath : "/" + FixedFilePath;
        }
        var path = NewPrefix is null ? key : NewPrefix + key[Prefix.Length..];
        path += Suffix;
        return path.StartsWith('/') ? path : "/" + path;
    }
}
