namespace OriginGateway.Origins;

/// <summary>
/// Why an origin pull got nothing it could serve or store whole: one word each, the same wherever it shows — the message of
/// a 424 <c>OriginPullFailed</c>, a fill's log line, the <c>reason</c> label of <c>origin_gateway_commits_rejected_total</c>,
/// and a task's result code (the COS, VOD and OMS task answers). Operators alert on these words and callers branch on them:
/// words are added, never renamed.
/// </summary>
internal static class OriginFailure
{
    // No answer, or no answer that can be used.

    /// <summary>No origin could be reached: connection refused or reset, a name that does not resolve.</summary>
    public const string OriginUnavailable = "OriginUnavailable";

    /// <summary>The origin sent nothing for longer than its headers timeout, or than the body idle timeout between two reads.</summary>
    public const string OriginTimeout = "OriginTimeout";

    /// <summary>The origin answered an error status (404 from every origin tried is <see cref="NotFound"/>).</summary>
    public const string OriginError = "OriginError";

    /// <summary>Every origin tried answered 404.</summary>
    public const string NotFound = "NotFound";

    /// <summary>The egress guard refused the origin's address, or a redirect's.</summary>
    public const string EgressDenied = "EgressDenied";

    /// <summary>More redirects than <c>OriginPull:MaxRedirects</c>.</summary>
    public const string TooManyRedirects = "TooManyRedirects";

    /// <summary>A resumed body's origin answered 412 to <c>If-Match</c>: the object changed part-way.</summary>
    public const string OriginChanged = "OriginChanged";

    // An answer whose body cannot be stored whole.

    /// <summary>The body ended or broke before its declared end.</summary>
    public const string Truncated = "Truncated";

    /// <summary>The body's MD5 differs from the origin's <c>Content-MD5</c>.</summary>
    public const string ChecksumMismatch = "ChecksumMismatch";

    /// <summary>The origin's <c>Content-MD5</c> (or the body's) differs from the MD5 a task asked for.</summary>
    public const string MD5Mismatch = "MD5Mismatch";

    /// <summary>Larger than <c>OriginPull:MaxObjectSize</c>: served, not kept.</summary>
    public const string TooLarge = "TooLarge";

    /// <summary>Neither <c>Content-Length</c> nor chunked framing nor <c>Content-MD5</c>: its end cannot be told from a cut connection; served, not kept.</summary>
    public const string Unframed = "Unframed";

    /// <summary>A 206 to a request without <c>Range</c>.</summary>
    public const string UnexpectedPartialContent = "UnexpectedPartialContent";

    /// <summary>Two different <c>Content-Length</c> values.</summary>
    public const string ConflictingContentLength = "ConflictingContentLength";

    /// <summary><c>Content-Length</c> together with <c>Transfer-Encoding</c>.</summary>
    public const string ContentLengthWithTransferEncoding = "ContentLengthWithTransferEncoding";

    // Whole, and not stored all the same.

    /// <summary>The key got an object (a client's write) before the fill committed: that object is kept.</summary>
    public const string Superseded = "Superseded";

    /// <summary>A Proxy answer's client left before the body's end; its copy is not stored (a background fill stores the object).</summary>
    public const string ClientGone = "ClientGone";

    /// <summary>
    /// Why a request to an origin failed, in words an operator can act on: the exception's message followed by its inner
    /// ones (an <see cref="HttpRequestException"/> says only "The SSL connection could not be established, see inner
    /// exception."; the inner one names the certificate's fault, <c>UntrustedRoot</c> or <c>RemoteCertificateNameMismatch</c>).
    /// </summary>
    public static string Describe(Exception exception)
    {
        var text = new System.Text.StringBuilder(exception.Message.Replace(", see inner exception.", "", StringComparison.Ordinal).TrimEnd('.'));
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!text.ToString().Contains(inner.Message.TrimEnd('.'), StringComparison.Ordinal))
            {
                text.Append(": ").Append(inner.Message.Replace(", see inner exception.", "", StringComparison.Ordinal).TrimEnd('.'));
            }
        }
        return text.ToString();
    }

    /// <summary>Whether a word puts the fault at the origin's answer: every word above but <see cref="Superseded"/> and <see cref="ClientGone"/>.</summary>
    public static bool IsTheOrigins(string word) => word is OriginUnavailable or OriginTimeout or OriginError or NotFound or EgressDenied or TooManyRedirects
        or OriginChanged or Truncated or ChecksumMismatch or MD5Mismatch or TooLarge or Unframed or UnexpectedPartialContent or ConflictingContentLength
        or ContentLengthWithTransferEncoding;
}
