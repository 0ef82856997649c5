namespace OriginGateway.Origins;

/// <summary>
/// The rest of one origin body, asked for again when its connection broke or stalled part-way: the URL that answered
/// is asked for the bytes from where the body broke (<c>Range: bytes=N-</c>), pinned to the first answer's strong ETag
/// (<c>If-Match</c>), under the host slot the first fetch still holds. What comes back is taken only when it is exactly
/// that rest (<see cref="OriginResponseRules.NotAResumption"/>), so a stored object is never spliced from two versions.
/// At most <c>OriginPull:MaxBodyResumes</c> times per body, and never for an answer without a strong ETag
/// (<see cref="OriginResponseRules.ResumeValidator"/>, read only once a body breaks). Made by <see cref="OriginFetcher.Resumable"/>.
/// </summary>
internal sealed class OriginBodyResume(OriginFetcher fetcher, OriginFetchRequest request, OriginFetchResult first, int resumes)
{
    private int _left = resumes;

    /// <summary>
    /// The rest of the body from <paramref name="offset"/> after a copy ended with <paramref name="failure"/>
    /// (Truncated, OriginTimeout): a 206 whose body starts there (the caller disposes it), or null when none is left to try
    /// or the origin could not give exactly that rest.
    /// </summary>
    public async Task<HttpResponseMessage?> NextAsync(long offset, string failure, CancellationToken cancellationToken)
    {
        if (_left == 0 || OriginResponseRules.ResumeValidator(first.Response!) is not { } etag)
        {
            return null;
        }
        _left--;
        return await fetcher.ResumeAsync(request, first, etag, offset, failure, cancellationToken).ConfigureAwait(false);
    }
}
