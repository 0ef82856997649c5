namespace OriginGateway.Rules;

/// <summary>
/// A bucket's origin-pull configuration, as the COS <c>OriginConfiguration</c> XML states it.
/// Optional elements stay null when the client did not send them, so that GET returns what was
/// PUT and never adds defaults; the compiled form (<see cref="CompiledRule"/>) applies them.
/// </summary>
internal sealed record OriginConfiguration(IReadOnlyList<OriginRule> Rules);

internal enum OriginType
{
    Proxy,
    Mirror,
    Redirect,
}

internal sealed record OriginRule(
    int Priority,
    OriginType Type,
    OriginCondition? Condition,
    OriginParameter? Parameter,
    IReadOnlyList<int>? StandbyStatusCodes,
    OriginInfo Info);

/// <param name="HttpStatusCode">"404", a 4xx/5xx code, or "4XX"/"5XX" (Redirect).</param>
/// <param name="Prefix">Key prefix; empty or null matches every key.</param>
internal sealed record OriginCondition(string? HttpStatusCode, string? Prefix);

internal sealed record OriginParameter(
    string? Protocol,
    bool? TransparentErrorCode,
    bool? FollowQueryString,
    OriginHttpHeader? HttpHeader,
    bool? FollowRedirection,
    IReadOnlyList<int>? HttpRedirectCodes,
    bool? CopyOriginData);

internal sealed record OriginHttpHeader(
    bool? FollowAllHeaders,
    IReadOnlyList<KeyValuePair<string, string>>? NewHttpHeaders,
    IReadOnlyList<string>? FollowHttpHeaders,
    IReadOnlyList<string>? ForbidFollowHeaders);

internal sealed record OriginInfo(IReadOnlyList<OriginHost> Hosts, OriginFileInfo? FileInfo);

/// <param name="HostName">host[:port].</param>
/// <param name="Weight">Positive; null when not sent (1 applies).</param>
/// <param name="StandbyHostNames">StandbyHostName_1 .. _N in order.</param>
internal sealed record OriginHost(string HostName, int? Weight, IReadOnlyList<string> StandbyHostNames);

/// <param name="FixedFilePath">FixedFileConfiguration/FixedFilePath, when sent.</param>
/// <param name="Prefix">PrefixConfiguration/Prefix ("" when the element was sent empty).</param>
/// <param name="Suffix">SuffixConfiguration/Suffix ("" when the element was sent empty).</param>
internal sealed record OriginFileInfo(string? FixedFilePath, string? Prefix, string? Suffix);
