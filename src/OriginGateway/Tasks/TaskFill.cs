using OriginGateway.Buckets;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.Tasks;

/// <summary>
/// A task's fetch into a bucket: the one origin fetcher, the one body copy, the commit rules of
/// <see cref="OriginResponseRules"/>; failures sorted into transient (retried) and permanent.
/// The task id is kept with the object, so an attempt that runs again after a crash between the
/// commit and the task's own update finds its object and does not store it twice.
/// </summary>
internal sealed class TaskFill(OriginFetcher fetcher, OriginIngest ingest, BucketRegistry buckets, Security.BucketPolicyService policies, OriginPullOptions options)
{
    /// <summary>
    /// Where a task writes, checked when it runs: a key that a client can address (a sync source's listing or a URL list can
    /// name any; an object under a key the API refuses could be neither read nor deleted), the bucket still configured, and
    /// the bucket policy letting the service principal write the key. Null with <paramref name="target"/> set when it may.
    /// </summary>
    public TaskOutcome? Target(string bucketName, string key, out Bucket target)
    {
        target = null!;
        switch (key.Length == 0 ? KeyStatus.Invalid : KeyDecoding.Check(key))
        {
            case KeyStatus.TooLong:
                return TaskOutcome.Permanent("KeyTooLong", KeyDecoding.TooLongMessage);
            case KeyStatus.Invalid:
                return TaskOutcome.Permanent("InvalidArgument", "The key is empty or contains a control character.");
        }
        if (buckets.Find(bucketName) is not { } bucket)
        {
            return TaskOutcome.Permanent("NoSuchBucket", "The bucket is no longer configured.");
        }
        if (!policies.ServiceMayWrite(bucket, key))
        {
            return TaskOutcome.Permanent("AccessDenied", "The bucket policy does not let the service principal write this key.");
        }
        target = bucket;
        return null;
    }

    /// <summary>The gateway-metadata entry naming the task that stored an object.</summary>
    public const string TaskMetadata = "task-id";

    /// <summary>The object a previous attempt of this task committed, if it is still the current one.</summary>
    public static async ValueTask<ObjectEntry?> StoredByAsync(Bucket bucket, string key, string taskId, CancellationToken cancellationToken) =>
        await bucket.Store.FindAsync(key, cancellationToken).ConfigureAwait(false) is { } entry
            && entry.GatewayMetadata.TryGetValue(TaskMetadata, out var id) && id == taskId ? entry : null;

    /// <param name="bucket">Where to store.</param>
    /// <param name="key">The object's key.</param>
    /// <param name="request">What to fetch.</param>
    /// <param name="expectedMd5">The MD5 the content must have, or null.</param>
    /// <param name="run">The attempt (progress, task id).</param>
    /// <param name="cancellationToken">Cancel: nothing is committed.</param>
    /// <param name="inspect">A check of the origin's response headers that may refuse it (a media type, a cover type).</param>
    /// <param name="condition">
    /// What must hold of the key's object when the fill commits (<see cref="WriteCondition.StillAbsent"/>: store only into
    /// an empty key); when it does not, the task succeeds with the object the key has, nothing stored.
    /// </param>
    /// <param name="keepMetadata">
    /// False: of the origin's metadata only the Content-Type goes with the object, none of its other kept headers or
    /// <c>*-meta-*</c> (a sync task without metadata migration).
    /// </param>
    public async Task<TaskOutcome> RunAsync(Bucket bucket, string key, OriginFetchRequest request, byte[]? expectedMd5, TaskRun run, CancellationToken cancellationToken,
        Func<HttpResponseMessage, TaskOutcome?>? inspect = null, WriteCondition? condition = null, bool keepMetadata = true)
    {
        using var result = await fetcher.FetchAsync(request, cancellationToken).ConfigureAwait(false);
        if (result.Outcome != OriginOutcome.Success)
        {
            return FetchFailure(result);
        }
        var response = result.Response!;
        var admission = ingest.Admit(response, result.Url!, rangeRequested: false, expectedMd5);
        switch (admission.Verdict, admission.Reason)
        {
            case (IngestVerdict.Refuse, OriginFailure.MD5Mismatch):
                return TaskOutcome.Permanent(OriginFailure.MD5Mismatch, "The origin's Content-MD5 differs from the task's MD5.");
            case (IngestVerdict.Refuse, var refused):
                return TaskOutcome.Permanent(refused, "The origin's answer cannot be stored whole: " + refused + ".");
            case (IngestVerdict.ServeOnly, OriginFailure.TooLarge):
                return TaskOutcome.Permanent("EntityTooLarge", $"The origin's object ({admission.DeclaredLength} bytes) is larger than OriginPull:MaxObjectSize.");
            case (IngestVerdict.ServeOnly, _):
                return TaskOutcome.Permanent("UnverifiableBody", "The origin's body has neither Content-Length nor chunked framing nor a Content-MD5: its end cannot be told from a cut connection.");
        }
        if (inspect?.Invoke(response) is { } refusedByCaller)
        {
            return refusedByCaller;
        }
        var length = admission.DeclaredLength;
        var write = admission.Write!;
        var metadata = new Dictionary<string, string>(write.GatewayMetadata!, StringComparer.Ordinal) { [TaskMetadata] = run.Task.Id };
        write = write with { GatewayMetadata = metadata, Condition = condition, Headers = keepMetadata ? write.Headers : [] };

        run.Progress(0, length);
        using var session = bucket.Store.BeginWrite(key, write);
        var (written, copyFailure) = await OriginBodyCopy.CopyAsync(response, session, done => run.Progress(done, length), options.BodyIdleTimeout, cancellationToken,
            resume: fetcher.Resumable(request, result))
            .ConfigureAwait(false);
        // Cancelled while receiving: nothing is committed.
        if (copyFailure.Length == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
        var ingested = await ingest.FinishAsync(bucket.Name, admission with { Write = write }, session, written, copyFailure, cancellationToken).ConfigureAwait(false);
        if (ingested.Status == IngestStatus.Superseded)
        {
            return await bucket.Store.FindAsync(key, cancellationToken).ConfigureAwait(false) is { } kept
                ? TaskOutcome.Success(kept.Length, kept.Md5Hex, "The key got an object while the origin's arrived; that object is kept, nothing stored.")
                : TaskOutcome.Retry(OriginFailure.Superseded, "The key's object changed while the origin's arrived; nothing stored.");
        }
        return ingested switch
        {
            { Status: IngestStatus.Committed } => TaskOutcome.Success(written, ingested.Entry!.Md5Hex) with { Keys = [key] },
            { Status: IngestStatus.NotKept } => TaskOutcome.Permanent("EntityTooLarge", "The origin's object is larger than OriginPull:MaxObjectSize."),
            { Reason: OriginFailure.ChecksumMismatch } => TaskOutcome.Permanent(OriginFailure.MD5Mismatch, "The content's MD5 differs from the expected MD5; nothing was stored."),
            _ => TaskOutcome.Retry(ingested.Reason, $"The origin's body ended early ({ingested.Reason}) after {written} bytes."),
        };
    }

    /// <summary>Connect errors, timeouts, 5xx, 408 and 429 are transient; other answers and denials are final.</summary>
    internal static TaskOutcome FetchFailure(OriginFetchResult result)
    {
        var status = result.Status;
        return result.Reason switch
        {
            OriginFailure.EgressDenied => TaskOutcome.Permanent(OriginFailure.EgressDenied, "The URL is not allowed: " + (result.Detail ?? "refused by the egress guard") + "."),
            OriginFailure.TooManyRedirects => TaskOutcome.Permanent(OriginFailure.TooManyRedirects, "The origin redirected too many times."),
            OriginFailure.OriginTimeout => TaskOutcome.Retry(OriginFailure.OriginTimeout, "The origin did not answer in time."),
            OriginFailure.OriginUnavailable when status is null => TaskOutcome.Retry(OriginFailure.OriginUnavailable,
                result.Detail is { } why ? $"The origin could not be reached: {why}." : "The origin could not be reached."),
            _ when result.Outcome == OriginOutcome.NotFound => TaskOutcome.Permanent(OriginFailure.NotFound, "The origin answered 404."),
            _ when status is >= 500 or 408 or 429 => TaskOutcome.Retry(OriginFailure.OriginError, $"The origin answered {status}."),
            _ when status is not null => TaskOutcome.Permanent(OriginFailure.OriginError, $"The origin answered {status}."),
            _ => TaskOutcome.Retry(result.Reason.Length > 0 ? result.Reason : OriginFailure.OriginUnavailable, "The origin could not be reached."),
        };
    }
}
