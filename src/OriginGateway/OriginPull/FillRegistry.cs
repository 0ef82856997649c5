using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Dependencies;
using OriginGateway.Lifecycle;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.OriginPull;

/// <summary>
/// Single flight per bucket+key: the first miss starts a <see cref="Fill"/>, later misses join it.
/// A fill runs on its own (a client that leaves does not stop it): fetch, stream into staging,
/// verify, commit, then leave the registry — so a GET that arrives between the origin's end and
/// the commit still joins, and one after it is a hit.
/// </summary>
internal sealed partial class FillRegistry(
    OriginFetcher fetcher,
    OriginIngest ingest,
    OriginPullOptions options,
    NegativeCache negativeCache,
    Coordination.IFillLocks locks,
    GatewayMetrics metrics,
    TimeProvider time,
    ShutdownSignal shutdown,
    ILogger<FillRegistry> logger)
{
    private readonly ConcurrentDictionary<(string Bucket, string Key), Fill> _fills = new();

    /// <summary>The fill in flight for a key, if any.</summary>
    public Fill? Find(string bucket, string key) => _fills.GetValueOrDefault((bucket, key));

    public int InFlight => _fills.Count;

    /// <summary>Joins the fill in flight for the key, or starts one with <paramref name="request"/>.</summary>
    public Fill GetOrStart(Bucket bucket, string key, OriginFetchRequest request, out bool joined)
    {
        var id = (bucket.Name, key);
        if (_fills.TryGetValue(id, out var existing))
        {
            joined = true;
            metrics.Coalesced(bucket.Name);
            return existing;
        }
        var fill = new Fill(bucket.Name, key);
        existing = _fills.GetOrAdd(id, fill);
        if (!ReferenceEquals(existing, fill))
        {
            joined = true;
            metrics.Coalesced(bucket.Name);
            return existing;
        }
        joined = false;
        // Runs inline up to its first wait on the origin, then on its own.
        _ = RunAsync(bucket, fill, request);
        return fill;
    }

    private async Task RunAsync(Bucket bucket, Fill fill, OriginFetchRequest request)
    {
        // On SIGTERM a fill may finish within the grace period; after it, it is aborted (nothing kept).
        var cancellation = shutdown.Aborted;
        var final = FillState.Failed;
        var reason = OriginFailure.OriginUnavailable;
        long written = 0;
        ObjectWriteSession? session = null;
        IAsyncDisposable? claim = null;
        try
        {
            (claim, var elsewhere) = await ClaimAsync(bucket, fill.Key, cancellation).ConfigureAwait(false);
            if (elsewhere is not null)
            {
                fill.Start(elsewhere);
                final = FillState.Completed;
                return;
            }
            using var result = await fetcher.FetchAsync(request, cancellation).ConfigureAwait(false);
            if (result.Outcome != OriginOutcome.Success)
            {
                reason = result.Status == 412 && request.IfMatch is not null ? OriginFailure.OriginChanged : result.Reason;
                // Remembered before any client hears the 404: a client's next request for the key must find it remembered,
                // not start a second fetch once this fill has left the registry.
                if (result.Outcome == OriginOutcome.NotFound)
                {
                    negativeCache.Add(bucket.Name, fill.Key);
                }
                fill.Start(FillStart.WithoutBody(result, reason));
                // A 404 or a passed-through 3xx is a complete answer; anything else failed.
                final = result.Outcome == OriginOutcome.Failed ? FillState.Failed : FillState.Completed;
                return;
            }

            var response = result.Response!;
            var admission = ingest.Admit(response, result.Url!, request.Range is not null);
            if (admission.Verdict == IngestVerdict.Refuse)
            {
                reason = admission.Reason;
                fill.Start(new FillStart(FillStartKind.Failed, Status: (int)response.StatusCode, Reason: reason, Host: result.Host));
                return;
            }

            // Also a body that is only served (too large, unframed) streams through staging to every waiting client.
            var length = admission.DeclaredLength;
            // Committed only while the key still has no object: a client's PUT meanwhile is never replaced by the origin's.
            var write = admission.Write! with { Condition = WriteCondition.StillAbsent };
            session = bucket.Store.BeginWrite(fill.Key, write);
            var start = new FillStart(FillStartKind.Streaming, length, write.ContentType, write.Headers, (int)response.StatusCode, Host: result.Host, Pin: VersionPin.Of(response));
            // A body that fits one read is read, kept in memory and committed before the clients wake: they
            // get it whole from memory — no staging reader to open, no waiting for the last byte — and nothing
            // is lost: it would have arrived in one piece anyway.
            var small = length is { } declaredLength && declaredLength <= OriginBodyCopy.ChunkSize ? new byte[declaredLength] : null;
            if (small is null)
            {
                fill.Start(start, session.OpenStagingReader());
            }

            (written, var copyFailure) = await OriginBodyCopy.CopyAsync(response, session, small is null ? fill.Progress : null, options.BodyIdleTimeout, cancellation, small,
                fetcher.Resumable(request, result)).ConfigureAwait(false);
            var ingested = await ingest.FinishAsync(bucket.Name, admission, session, written, copyFailure, cancellation).ConfigureAwait(false);
            reason = ingested.Reason;
            switch (ingested.Status)
            {
                case IngestStatus.Discarded:
                    return;
                case IngestStatus.NotKept:
                case IngestStatus.Superseded:
                    // Too large to keep, whole as far as anyone can tell, or the key got a client's object meanwhile:
                    // clients get every byte, nothing is stored.
                    LogServedNotStored(logger, bucket.Name, KeyHash.Of(fill.Key), reason, written);
                    final = FillState.Completed;
                    break;
                default:
                    negativeCache.Remove(bucket.Name, fill.Key);
                    final = FillState.Committed;
                    break;
            }
            if (small is not null)
            {
                // Verified whole (the ingest checked the declared length), committed or served-only.
                fill.Start(start, body: small.AsMemory(0, (int)Math.Min(written, small.Length)));
            }
        }
        catch (OperationCanceledException)
        {
            reason = "ShuttingDown";
            written = session?.Length ?? 0;
        }
        catch (Exception e) when (DependencyFailure.Of(e) == DependencyFailure.Store)
        {
            reason = DependencyFailure.StoreFailed;
            written = session?.Length ?? 0;
            metrics.CommitRejected(reason);
            LogFillError(logger, bucket.Name, KeyHash.Of(fill.Key), e);
        }
        finally
        {
            if (claim is not null)
            {
                await claim.DisposeAsync().ConfigureAwait(false);
            }
            session?.Dispose();
            if (!fill.Started.IsCompleted)
            {
                fill.Start(new FillStart(FillStartKind.Failed, Reason: reason));
            }
            // Out of the registry before the last byte is published: the next GET is a hit.
            _fills.TryRemove(new KeyValuePair<(string, string), Fill>((bucket.Name, fill.Key), fill));
            fill.Finish(final, written, final == FillState.Failed ? reason : "");
            if (final == FillState.Failed)
            {
                LogFillFailed(logger, bucket.Name, KeyHash.Of(fill.Key), reason, written);
            }
        }
    }

    /// <summary>
    /// This replica's claim on filling the key — or, when another replica's fill of it committed (or
    /// answered 404), what this one's clients answer instead. While another replica holds the claim this one waits for it to be released
    /// (that fill ended) or to expire (its replica died), takes it, and only then looks at the store:
    /// a claim is released after the commit, so what the store shows then is whole.
    /// </summary>
    private async Task<(IAsyncDisposable? Claim, FillStart? Elsewhere)> ClaimAsync(Bucket bucket, string key, CancellationToken cancellationToken)
    {
        var waited = false;
        while (true)
        {
            if (await locks.TryClaimAsync(bucket.Name, key, heldElsewhere: waited).ConfigureAwait(false) is { } claim)
            {
                if (!waited)
                {
                    return (claim, null);
                }
                bucket.Store.Forget(key);
                FillStart? elsewhere = await bucket.Store.FindAsync(key, cancellationToken).ConfigureAwait(false) is not null
                    ? new FillStart(FillStartKind.StoredElsewhere)
                    : await negativeCache.ContainsAsync(bucket.Name, key).ConfigureAwait(false) ? new FillStart(FillStartKind.NotFound, Status: 404)
                    : null;
                if (elsewhere is null)
                {
                    return (claim, null);
                }
                await claim.DisposeAsync().ConfigureAwait(false);
                return (null, elsewhere);
            }
            waited = true;
            await Task.Delay(ClaimPollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan ClaimPollInterval = TimeSpan.FromMilliseconds(100);

    [LoggerMessage(EventId = LogEvents.FillFailed, Level = LogLevel.Warning, Message = "Fill in bucket {Bucket} key#{KeyHash} failed ({Reason}) after {Bytes} bytes: nothing stored; clients still receiving were aborted")]
    private static partial void LogFillFailed(ILogger logger, string bucket, string keyHash, string reason, long bytes);

    [LoggerMessage(EventId = LogEvents.ServedNotStored, Level = LogLevel.Warning, Message = "Fill in bucket {Bucket} key#{KeyHash} served but not stored ({Reason}) after {Bytes} bytes")]
    private static partial void LogServedNotStored(ILogger logger, string bucket, string keyHash, string reason, long bytes);

    [LoggerMessage(EventId = LogEvents.FillThrew, Level = LogLevel.Error, Message = "Fill in bucket {Bucket} key#{KeyHash} failed on the store")]
    private static partial void LogFillError(ILogger logger, string bucket, string keyHash, Exception exception);
}
