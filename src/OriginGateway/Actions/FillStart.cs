namespace OriginGateway.Actions;

internal enum FillStartKind
{
    /// <summary>The origin answered 2xx; the body streams.</summary>
    Streaming,
    NotFound,
    /// <summary>A 3xx handed back to the client (FollowRedirection=false).</summary>
    Redirect,
    Failed,
}

/// <summary>How a fill began, known once the origin's headers are in: what every waiting client answers.</summary>
internal sealed record FillStart(
    FillStartKind Kind,
    long? ContentLength = null,
    string? ContentType = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null,
    int Status = 0,
    string? Location = null,
    string Reason = "",
    byte[]? ErrorBody = null);
