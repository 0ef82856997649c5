using OriginGateway.Observability;
using OriginGateway.Storage;

namespace OriginGateway.Origins;

/// <summary>
/// The one way an origin's answer becomes a stored object, for Mirror fills, the Proxy tee and every
/// task kind: <see cref="Admit"/> reads the answer's headers and says whether its body may be stored;
/// the caller streams the body into a write session (<see cref="OriginBodyCopy"/>, or the Proxy's tee);
/// <see cref="FinishAsync"/> checks what arrived and commits it — or discards it, counted in
/// <c>origin_gateway_commits_rejected_total{reason}</c>. Nothing partial is ever visible.
/// <para>
/// Each failure has one verdict, whatever the path; only what the path does with it differs (a client
/// path still serves what the client may have, a task fails, permanently unless retrying can help):
/// </para>
/// <list type="table">
/// <listheader><term>reason</term><description>when · Mirror / Proxy · task</description></listheader>
/// <item><term>UnexpectedPartialContent, ConflictingContentLength, ContentLengthWithTransferEncoding</term>
/// <description>the headers contradict themselves or the request · fails / passed through, not stored · permanent failure</description></item>
/// <item><term>TooLarge</term><description>declared or received length over <c>OriginPull:MaxObjectSize</c> · served, not stored / served, not stored (nor queued) · permanent <c>EntityTooLarge</c></description></item>
/// <item><term>Unframed</term><description>no length, no chunked framing, not HTTP/2, no MD5: the end cannot be told from a cut · served, not stored / served, not stored (nor queued) · permanent <c>UnverifiableBody</c></description></item>
/// <item><term>MD5Mismatch</term><description>the expected MD5 (a task's) differs from the origin's Content-MD5 · — · permanent</description></item>
/// <item><term>OriginTimeout, Truncated</term><description>the body stalled, broke, or ended short of (or past) its length, and could not be resumed (<see cref="OriginBodyResume"/>) · fails / stored later by a background task · retried</description></item>
/// <item><term>Superseded</term><description>the key got an object (a client's write) while the body arrived · served, that object kept / that object kept · succeeds, that object kept</description></item>
/// <item><term>ChecksumMismatch</term><description>the body's MD5 differs from the one declared or expected · fails / stored later by a background task · permanent <c>MD5Mismatch</c></description></item>
/// </list>
/// </summary>
internal sealed class OriginIngest(OriginPullOptions options, GatewayMetrics metrics, TimeProvider time)
{
    /// <summary>The largest object kept (<c>OriginPull:MaxObjectSize</c>).</summary>
    public long MaxObjectSize => options.MaxObjectSize;

    /// <summary>
    /// What the answer's headers allow: store its body (with the write to open), serve it without storing
    /// it, or refuse it. <paramref name="expectedMd5"/> is an MD5 the content must have besides the origin's own.
    /// </summary>
    public IngestAdmission Admit(HttpResponseMessage response, Uri url, bool rangeRequested, byte[]? expectedMd5 = null)
    {
        if (OriginResponseRules.RefuseByHeaders(response, rangeRequested) is { } refused)
        {
            return Rejected(IngestVerdict.Refuse, refused);
        }
        var length = OriginResponseRules.DeclaredLength(response);
        var declaredMd5 = OriginResponseRules.DeclaredMd5(response);
        if (expectedMd5 is not null && declaredMd5 is not null && !expectedMd5.AsSpan().SequenceEqual(declaredMd5))
        {
            return Rejected(IngestVerdict.Refuse, OriginFailure.MD5Mismatch);
        }
        var write = OriginResponseRules.Write(response, url, time.GetUtcNow(), options.MaxObjectSize) with { ExpectedMd5 = expectedMd5 ?? declaredMd5 };
        if (length > options.MaxObjectSize)
        {
            return Rejected(IngestVerdict.ServeOnly, OriginFailure.TooLarge, write, length);
        }
        if (!OriginResponseRules.EndIsVerifiable(response, write.ExpectedMd5))
        {
            return Rejected(IngestVerdict.ServeOnly, OriginFailure.Unframed, write, length);
        }
        return new IngestAdmission(IngestVerdict.Store, "", write, length);
    }

    private IngestAdmission Rejected(IngestVerdict verdict, string reason, ObjectWrite? write = null, long? length = null)
    {
        metrics.CommitRejected(reason);
        return new IngestAdmission(verdict, reason, write, length);
    }

    /// <summary>
    /// After the body: commits what arrived when it is whole — its declared length, within the size limit,
    /// the expected MD5 — or discards it. <paramref name="copyFailure"/> is how the body's copy ended early
    /// ("" when it reached its end). A body admitted only to be served is never committed.
    /// </summary>
    public async Task<IngestResult> FinishAsync(string bucket, IngestAdmission admission, ObjectWriteSession session, long written, string copyFailure, CancellationToken cancellationToken)
    {
        var broken = copyFailure.Length > 0 ? copyFailure
            : admission.DeclaredLength is { } declared && written != declared ? OriginFailure.Truncated
            : "";
        if (broken.Length > 0)
        {
            metrics.CommitRejected(broken);
            return new IngestResult(IngestStatus.Discarded, broken, written, null);
        }
        if (admission.Verdict != IngestVerdict.Store)
        {
            // Whole, but admitted only to be served (counted when it was admitted).
            return new IngestResult(IngestStatus.NotKept, admission.Reason, written, null);
        }
        if (written > options.MaxObjectSize)
        {
            metrics.CommitRejected(OriginFailure.TooLarge);
            return new IngestResult(IngestStatus.NotKept, OriginFailure.TooLarge, written, null);
        }
        var commit = await session.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (commit.Status == ObjectWriteStatus.Committed)
        {
            metrics.BytesStored(bucket, written);
            return new IngestResult(IngestStatus.Committed, "", written, commit.Entry);
        }
        var reason = OriginResponseRules.Reason(commit.Status);
        metrics.CommitRejected(reason);
        return new IngestResult(reason switch { OriginFailure.TooLarge => IngestStatus.NotKept, OriginFailure.Superseded => IngestStatus.Superseded, _ => IngestStatus.Discarded }, reason, written, null);
    }
}

/// <summary>What an origin's answer may become.</summary>
internal enum IngestVerdict
{
    /// <summary>Its body is stored if it arrives whole.</summary>
    Store,

    /// <summary>Whole as far as anyone can tell, but not kept (too large, or unframed): clients get it, the store does not.</summary>
    ServeOnly,

    /// <summary>Its headers contradict themselves or the request: neither stored nor served from a fill.</summary>
    Refuse,
}

/// <param name="Verdict">What the headers allow.</param>
/// <param name="Reason">Why it is not <see cref="IngestVerdict.Store"/> (a commits-rejected reason), or "".</param>
/// <param name="Write">The write to open (null when refused).</param>
/// <param name="DeclaredLength">The body's length as declared, or null (chunked, HTTP/2, close-delimited).</param>
internal sealed record IngestAdmission(IngestVerdict Verdict, string Reason, ObjectWrite? Write, long? DeclaredLength);

/// <summary>How an ingest ended.</summary>
internal enum IngestStatus
{
    Committed,

    /// <summary>Whole but not kept (too large, unframed): served, nothing stored.</summary>
    NotKept,

    /// <summary>Not whole or not right (cut, stalled, wrong length or MD5): nothing stored.</summary>
    Discarded,

    /// <summary>
    /// Whole, but the write's condition no longer held at its commit — a fill started by a miss found that the key got an
    /// object meanwhile (a client's PUT): served, that object kept, nothing stored.
    /// </summary>
    Superseded,
}

/// <param name="Status">Committed, not kept, or discarded.</param>
/// <param name="Reason">Why it was not committed, or "".</param>
/// <param name="Written">The body bytes that arrived.</param>
/// <param name="Entry">The committed object.</param>
internal sealed record IngestResult(IngestStatus Status, string Reason, long Written, ObjectEntry? Entry);
