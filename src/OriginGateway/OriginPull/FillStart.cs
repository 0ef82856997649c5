namespace OriginGateway.OriginPull;

internal enum FillStartKind
{
    /// <summary>The origin answered 2xx; the body streams.</summary>
    Streaming,
    NotFound,
    /// <summary>A 3xx handed back to the client (FollowRedirection=false).</summary>
    Redirect,
    Failed,

    /// <summary>Another replica filled the key meanwhile: the object is in the store.</summary>
    StoredElsewhere,
}

/// <summary>
/// How a fill began, known once the origin's headers are in: what every waiting client answers, and the version it is of
/// (<see cref="Pin"/>, when the origin gave one) for a range asked of the origin beside it.
/// </summary>
internal sealed record FillStart(
    FillStartKind Kind,
    long? ContentLength = null,
    string? ContentType = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null,
    int Status = 0,
    string? Location = null,
    string Reason = "",
    byte[]? ErrorBody = null,
    string? Host = null,
    Origins.VersionPin? Pin = null)
{
    /// <summary>What clients answer for a fetch that produced no body: 404, a passed-through 3xx, or the failure.</summary>
    public static FillStart WithoutBody(Origins.OriginFetchResult result, string? reason = null) => result.Outcome switch
    {
        Origins.OriginOutcome.NotFound => new FillStart(FillStartKind.NotFound, Status: 404, Host: result.Host),
        Origins.OriginOutcome.Redirect => new FillStart(FillStartKind.Redirect, Status: (int)result.Response!.StatusCode, Location: result.Response.Headers.Location?.OriginalString, Host: result.Host),
        _ => new FillStart(FillStartKind.Failed, Status: result.Status ?? 0, Reason: reason ?? result.Reason, ErrorBody: result.ErrorBody, Host: result.Host),
    };
}
