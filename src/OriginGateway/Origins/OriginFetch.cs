namespace OriginGateway.Origins;

/// <summary>What to fetch: the request a rule built, and the hosts to try in order.</summary>
/// <param name="Scheme">http or https.</param>
/// <param name="PathAndQuery">Encoded path and query.</param>
/// <param name="Headers">Headers to send (Via included).</param>
/// <param name="Candidates">host[:port] in try order (the chosen host, then its standbys).</param>
/// <param name="FollowRedirects">Follow 3xx (true) or hand them back (false).</param>
/// <param name="StandbyStatusCodes">Statuses besides 5xx that move to the next candidate.</param>
/// <param name="Range">A Range header to send, or null.</param>
/// <param name="IfMatch">An If-Match header pinning the origin version, or null.</param>
/// <param name="ClientUrl">A URL a client handed over (a task's): every hop must also use an <c>Egress:AllowedPorts</c> port.</param>
/// <param name="MetricLabel">The <c>host</c> label of origin metrics when the host is not a rule host (task traffic: its kind).</param>
/// <param name="FollowedRedirectCodes">With <paramref name="FollowRedirects"/>: only these 3xx are followed, others handed back (null: every 3xx).</param>
internal sealed record OriginFetchRequest(
    string Scheme,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<string> Candidates,
    bool FollowRedirects,
    IReadOnlySet<int> StandbyStatusCodes,
    string? Range = null,
    string? IfMatch = null,
    bool ClientUrl = false,
    string? MetricLabel = null,
    IReadOnlySet<int>? FollowedRedirectCodes = null)
{
    /// <summary>A plain GET of one absolute URL that a client handed over (a task of <paramref name="kind"/>), following redirects.</summary>
    public static OriginFetchRequest ForUrl(Uri url, string kind) => new(
        url.Scheme, url.PathAndQuery, [], [url.Authority], FollowRedirects: true, StandbyStatusCodes: NoCodes, ClientUrl: true, MetricLabel: "task:" + kind);

    private static readonly IReadOnlySet<int> NoCodes = new HashSet<int>();
}

internal enum OriginOutcome
{
    /// <summary>A 2xx response, open for streaming.</summary>
    Success,
    /// <summary>Every tried candidate answered 404.</summary>
    NotFound,
    /// <summary>A 3xx handed back (FollowRedirection=false).</summary>
    Redirect,
    /// <summary>No candidate gave a usable answer.</summary>
    Failed,
}

/// <summary>
/// The result of <see cref="OriginFetcher.FetchAsync"/>. Holds the origin response (streaming)
/// and the host's concurrency slot until disposed.
/// </summary>
internal sealed class OriginFetchResult : IDisposable
{
    private readonly IDisposable? _slot;

    public OriginFetchResult(OriginOutcome outcome, HttpResponseMessage? response, Uri? url, string? host, string reason, int? status, byte[]? errorBody, IDisposable? slot)
    {
        Outcome = outcome;
        Response = response;
        Url = url;
        Host = host;
        Reason = reason;
        Status = status;
        ErrorBody = errorBody;
        _slot = slot;
    }

    public OriginOutcome Outcome { get; }

    /// <summary>The origin's response (Success and Redirect).</summary>
    public HttpResponseMessage? Response { get; }

    /// <summary>The URL that answered (after redirects).</summary>
    public Uri? Url { get; }

    /// <summary>The candidate host that answered last (a rule host, bounded for metric labels).</summary>
    public string? Host { get; }

    /// <summary>Why it failed: EgressDenied, OriginUnavailable, OriginTimeout, OriginError, TooManyRedirects, …</summary>
    public string Reason { get; }

    /// <summary>The last origin status, when there was one.</summary>
    public int? Status { get; }

    /// <summary>The last error body (up to 64 KiB), for TransparentErrorCode.</summary>
    public byte[]? ErrorBody { get; }

    /// <summary>Why the last attempt failed, in words (the egress guard's reason for a denial), or null.</summary>
    public string? Detail { get; init; }

    public void Dispose()
    {
        Response?.Dispose();
        _slot?.Dispose();
    }
}
