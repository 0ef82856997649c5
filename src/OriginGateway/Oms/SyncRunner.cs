using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Observability;
using OriginGateway.Storage;
using OriginGateway.Tasks;

namespace OriginGateway.Oms;

/// <summary>
/// Runs the passes of the sync tasks this replica owns (<c>02-tasks.md</c> §2.5): list the source,
/// compare each object with the destination (size and ETag for S3 sources; presence for URL lists),
/// queue a copy for what is missing or changed, and again every <c>sync_interval</c>; each task's passes run apart from the
/// others' (at most <c>Oms:MaxConcurrentPasses</c> at a time), so one slow source holds up no other. The replica that holds a task's
/// keys owns it in the database and renews its hold while it lives; a task whose owner's hold runs out (the owner was
/// lost) is stopped by any replica, as is every task of a replica that shuts down. A lone replica on SQLite stops every
/// task at start-up (nobody holds keys after its restart); replicas sharing PostgreSQL leave the tasks of the others alone.
/// </summary>
internal sealed partial class SyncRunner(
    SyncTaskRepository repository,
    SyncKeys keys,
    SyncSource source,
    BucketRegistry buckets,
    TaskEngine engine,
    OmsOptions options,
    GatewayMetrics metrics,
    TimeProvider time,
    Lifecycle.StartupGate startup,
    ILogger<SyncRunner> logger) : BackgroundService
{
    private readonly TaskCompletionSource _stoppedAtStartUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once the tasks of the previous run are stopped. The API waits for it: a task created or started
    /// before would be stopped by it, and an answer before it shows a status from before the restart.
    /// </summary>
    public Task StoppedAtStartUp => _stoppedAtStartUp.Task;

    /// <summary>This replica's name as a task owner (the task engine's lease owner).</summary>
    public string Owner => engine.Owner;

    /// <summary>Now, as holds, passes and task records are written: in the task engine's clock (the control database's).</summary>
    public long Now() => engine.Now().ToUnixTimeMilliseconds();

    /// <summary>Until when a hold taken or renewed now lasts.</summary>
    public long OwnedUntil() => (engine.Now() + engine.Lease).ToUnixTimeMilliseconds();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // A gateway started while the database was away: its schema may not even exist yet.
            await startup.WhenOpen.WaitAsync(stoppingToken).ConfigureAwait(false);
            // Holds are written and read in the engine's clock: not before it is measured against the database's, else a
            // replica whose clock is ahead would take the others' holds for run out.
            await engine.ClockAligned.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var passes = RunPassesAsync(stoppingToken);
        // Apart from the passes, which can take longer than a hold lasts.
        var holds = Dependencies.BackgroundLoop.RunAsync("Sync task owners", HoldAsync, engine.Lease / 4, time, logger, stoppingToken);
        await Task.WhenAll(passes, holds).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the passes that are due, each on its own: a source that lists slowly (a large bucket, a slow link) holds up
    /// its own task only. At most <see cref="OmsOptions.MaxConcurrentPasses"/> run at a time; on shutdown those running end
    /// on the stopping token before the runner does.
    /// </summary>
    private async Task RunPassesAsync(CancellationToken stoppingToken)
    {
        // Touched by the loop only (one iteration at a time), and read after it has ended.
        var running = new Dictionary<string, Task>(StringComparer.Ordinal);
        await Dependencies.BackgroundLoop.RunAsync("Sync task runner", async cancellationToken =>
        {
            if (!_stoppedAtStartUp.Task.IsCompleted)
            {
                await repository.StopAllAtStartupAsync(cancellationToken).ConfigureAwait(false);
                _stoppedAtStartUp.TrySetResult();
            }
            foreach (var done in running.Where(p => p.Value.IsCompleted).Select(p => p.Key).ToList())
            {
                running.Remove(done);
            }
            // Only the tasks whose keys this replica holds can run here: none held, no query.
            var owned = keys.Owned;
            if (owned.Count == 0 || running.Count >= options.MaxConcurrentPasses)
            {
                return;
            }
            foreach (var task in await repository.SynchronizingAsync(owned, Owner, cancellationToken).ConfigureAwait(false))
            {
                var now = Now();
                if (running.ContainsKey(task.Id) || keys.Get(task.Id) is not { } credentials || (task.LastPassTime is { } last && now - last < task.SyncInterval * 1000L))
                {
                    continue;
                }
                // On the host's token, not the iteration's: the pass outlives the iteration that starts it.
                running[task.Id] = RunPassAsync(task, credentials, stoppingToken);
                if (running.Count >= options.MaxConcurrentPasses)
                {
                    return;
                }
            }
        }, TimeSpan.FromMilliseconds(200), time, logger, stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(running.Values).ConfigureAwait(false);
    }

    /// <summary>
    /// One pass apart from the loop. A pass that could not be recorded (the database went away) is not due again until a
    /// back-off has passed, as the loop itself would wait: its source is not listed again every iteration meanwhile.
    /// </summary>
    private async Task RunPassAsync(SyncTask task, SyncCredentials credentials, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await PassAsync(task, credentials, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogPassNotRecorded(logger, task.Id, e.GetType().Name);
            try
            {
                await Task.Delay(Dependencies.BackgroundLoop.MaxBackoff, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Renews this replica's hold on its tasks, stops those of lost owners, and lets go of the keys of tasks that are no
    /// longer this replica's (stopped, or started again on another replica, through any replica's API).
    /// </summary>
    internal async Task HoldAsync(CancellationToken cancellationToken)
    {
        await repository.RenewAsync(Owner, OwnedUntil(), cancellationToken).ConfigureAwait(false);
        await repository.StopOrphanedAsync(Now(), cancellationToken).ConfigureAwait(false);
        var held = keys.Owned;
        if (held.Count > 0)
        {
            var mine = (await repository.SynchronizingAsync(held, Owner, cancellationToken).ConfigureAwait(false)).Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var id in held.Where(id => !mine.Contains(id)))
            {
                keys.Forget(id);
            }
        }
    }

    /// <summary>On shutdown the keys go: this replica's tasks are stopped now rather than when their hold runs out.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!startup.IsOpen)
        {
            // Stopped before the database ever answered: this replica owns nothing.
            return;
        }
        try
        {
            await repository.StopOwnedAsync(Owner, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogReleaseFailed(logger, e.GetType().Name);
        }
    }

    /// <summary>One pass: returns the copies queued.</summary>
    internal async Task<int> PassAsync(SyncTask task, SyncCredentials credentials, CancellationToken cancellationToken)
    {
        long listed = 0, skipped = 0;
        var queued = 0;
        string? error = null;
        try
        {
            var bucket = buckets.Find(task.DestinationBucket) ?? throw new InvalidOperationException("the destination bucket is not configured");
            foreach (var item in await source.ListAsync(task, credentials, cancellationToken).ConfigureAwait(false))
            {
                listed++;
                var existing = await bucket.Store.FindAsync(task.DestinationPrefix + item.DestinationName, cancellationToken).ConfigureAwait(false);
                var unchanged = existing is not null && (task.SourceType == "URLList"
                    || (existing.Length == item.Size && existing.GatewayMetadata.TryGetValue(CompactMetadata.OriginETag, out var etag) && etag.Trim('"') == item.ETag));
                if (unchanged)
                {
                    skipped++;
                    continue;
                }
                if (await engine.SubmitAsync(SyncCopyHandler.Create(task, item), cancellationToken).ConfigureAwait(false) is not null)
                {
                    queued++;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Any failure but shutdown is the pass's (a client's own timeout too), shown as its last error.
            error = e.GetType().Name + ": " + Redact(e.Message, credentials);
            LogPassFailed(logger, task.Id, e.GetType().Name);
        }
        metrics.SyncPass(failed: error is not null);
        await repository.PassDoneAsync(task.Id, Now(), listed, skipped, error, cancellationToken).ConfigureAwait(false);
        return queued;
    }

    /// <summary>Errors are stored and shown: whatever a source echoes, the keys are cut out first.</summary>
    internal static string Redact(string message, SyncCredentials credentials)
    {
        foreach (var secret in new[] { credentials.SourceAk, credentials.SourceSk, credentials.DestinationAk, credentials.DestinationSk, credentials.CdnAuthenticationKey })
        {
            if (!string.IsNullOrEmpty(secret))
            {
                message = message.Replace(secret, "***", StringComparison.Ordinal);
            }
        }
        return message;
    }

    /// <summary>
    /// What a key named by <c>POST …/events</c> copies: an S3 key relative to the source prefix, or a URL list's URL. Null,
    /// with <paramref name="error"/> saying why, for a URL that is not an http or https one.
    /// </summary>
    public static SourceObject? EventObject(SyncTask task, string key, out string? error)
    {
        error = null;
        return task.SourceType == "URLList" ? SyncSource.UrlEntry(key, target: null, out error) : new SourceObject(task.SourcePrefix + key, key, null, null);
    }

    /// <summary>Copies the objects named by <c>POST …/events</c> now.</summary>
    public async Task<int> CopyNowAsync(SyncTask task, IEnumerable<SourceObject> objects, CancellationToken cancellationToken)
    {
        var queued = 0;
        foreach (var item in objects)
        {
            if (await engine.SubmitAsync(SyncCopyHandler.Create(task, item), cancellationToken).ConfigureAwait(false) is not null)
            {
                queued++;
            }
        }
        return queued;
    }

    [LoggerMessage(EventId = LogEvents.SyncReleaseFailed, Level = LogLevel.Warning, Message = "Sync tasks: could not stop this replica's tasks at shutdown ({Error}); they stop when its hold runs out")]
    private static partial void LogReleaseFailed(ILogger logger, string error);

    [LoggerMessage(EventId = LogEvents.SyncPassFailed, Level = LogLevel.Warning, Message = "Sync task {TaskId}: pass failed ({Error})")]
    private static partial void LogPassFailed(ILogger logger, string taskId, string error);

    [LoggerMessage(EventId = LogEvents.SyncPassNotRecorded, Level = LogLevel.Warning, Message = "Sync task {TaskId}: the pass could not be recorded ({Error}); it runs again after a back-off")]
    private static partial void LogPassNotRecorded(ILogger logger, string taskId, string error);
}
