using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OriginGateway.Dependencies;
using OriginGateway.Observability;

namespace OriginGateway.Tasks;

/// <summary>
/// The one task engine (<c>02-tasks.md</c> §2.1): durable queue, priorities, a worker pool with a
/// per-host cap, leases renewed while a task runs, retries with exponential backoff and full
/// jitter for transient failures, progress, cancel, retention. Fetch tasks, the Proxy action's
/// background stores and callbacks all run here, each kind through its <see cref="ITaskHandler"/>.
/// </summary>
internal sealed partial class TaskEngine : BackgroundService
{
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private readonly ITaskStore _store;
    private readonly Dictionary<string, ITaskHandler> _handlers;
    private readonly TaskOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TaskEngine> _logger;
    private readonly GatewayMetrics? _metrics;
    private readonly IReadOnlyList<ITaskLeaseFilter> _filters;
    private readonly Lifecycle.StartupGate? _startup;
    private readonly ConcurrentDictionary<string, RunningTask> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _leaseLock = new(1, 1);
    private int _progressWriting;
    private CancellationToken _stopping = CancellationToken.None;
    private DateTimeOffset _nextMaintenance = DateTimeOffset.MinValue;
    private long _clockOffsetTicks;
    private readonly TaskCompletionSource _clockAligned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskEngine(ITaskStore store, IEnumerable<ITaskHandler> handlers, TaskOptions options, TimeProvider time, ILogger<TaskEngine> logger,
        GatewayMetrics? metrics = null, IEnumerable<ITaskLeaseFilter>? filters = null, Lifecycle.StartupGate? startup = null)
    {
        _startup = startup;
        _filters = filters?.ToList() ?? [];
        _store = store;
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        metrics?.ObserveTasks(async cancellationToken => (await _store.CountsAsync(cancellationToken).ConfigureAwait(false)).Select(c => (c.Kind, TaskStates.ToText(c.State), c.Count)));
    }

    /// <summary>This replica's name in leases.</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>How long a lease holds without renewal (a replica silent this long is taken for lost).</summary>
    public TimeSpan Lease => _options.Lease;

    /// <summary>Tasks running on this replica now.</summary>
    public int Running => _running.Count;

    /// <summary>A new URL-safe task id: 16 random bytes, base64url, no padding.</summary>
    public static string NewId() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// Queues a task — durably: it is in the database when this returns. Returns the stored record,
    /// or null when a queued or running task already holds its de-duplication key.
    /// </summary>
    public async Task<TaskRecord?> SubmitAsync(NewTask task, CancellationToken cancellationToken = default)
    {
        var handler = _handlers.GetValueOrDefault(task.Kind) ?? throw new InvalidOperationException($"no handler for task kind '{task.Kind}'");
        var record = Record(task, handler);
        if (!await _store.InsertAsync(record, task.DedupKey, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        Wake();
        return record;
    }

    private TaskRecord Record(NewTask task, ITaskHandler handler)
    {
        var now = Now().ToUnixTimeMilliseconds();
        return new TaskRecord
        {
            Id = NewId(),
            Kind = task.Kind,
            Bucket = task.Bucket,
            Key = task.Key,
            Host = task.Host,
            Priority = Math.Clamp(task.Priority, -10, 10),
            State = TaskState.Queued,
            Payload = task.Payload,
            ParentId = task.ParentId,
            MaxAttempts = handler.Retry.MaxAttempts,
            NotBefore = task.NotBefore?.ToUnixTimeMilliseconds() ?? now,
            CreatedAt = now,
            CallbackState = task.CallbackState,
        };
    }

    public Task<TaskRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => _store.GetAsync(id, cancellationToken);

    /// <summary>Wakes the loop; one pending wake-up is enough however many arrive.</summary>
    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Cancels a queued or running task; a running one stops at once and commits nothing.</summary>
    public async Task<CancelResult> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        var result = await _store.CancelAsync(id, Now().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        if (result == CancelResult.Cancelled && _running.TryGetValue(id, out var running))
        {
            running.Cancel(RunEnd.Cancelled);
        }
        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            // A gateway started while the database was away: its schema may not even exist yet.
            await (_startup?.WhenOpen ?? Task.CompletedTask).WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var startedUp = false;
        // The database (or a bug) failing: retried with back-off and jitter (Polly), logged once; the host keeps running.
        var retrying = Dependencies.BackgroundLoop.Retrying("The task engine", _time, _logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await retrying.ExecuteAsync(async token =>
                {
                    if (!startedUp)
                    {
                        var reclaimed = await _store.ReclaimAtStartupAsync(token).ConfigureAwait(false);
                        if (reclaimed > 0)
                        {
                            LogReclaimed(_logger, reclaimed);
                        }
                        startedUp = true;
                    }
                    await StartDueAsync(token).ConfigureAwait(false);
                }, stoppingToken).ConfigureAwait(false);
                await _wake.WaitAsync(_options.PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        // Shutdown: running attempts stop and go back to the queue uncounted.
        foreach (var running in _running.Values)
        {
            running.Cancel(RunEnd.Shutdown);
        }
        await Task.WhenAll(_running.Values.Select(r => r.Completion)).ConfigureAwait(false);
    }

    /// <summary>
    /// The time leases, schedules and records are written in — the engine's and the sync tasks' holds: the shared store's
    /// clock where replicas share one (<see cref="ITaskStore.ClockAsync"/>), as last measured, else this replica's. A replica
    /// whose clock ran minutes ahead read every lease and hold the others wrote as run out (it took their running tasks and
    /// stopped their sync tasks); one behind took a dead replica's late.
    /// </summary>
    internal DateTimeOffset Now() => _time.GetUtcNow().AddTicks(Volatile.Read(ref _clockOffsetTicks));

    /// <summary>Completes once <see cref="Now"/> is measured against the shared store (at once where there is none to follow).</summary>
    internal Task ClockAligned => _clockAligned.Task;

    /// <summary>
    /// Measures this replica's clock against the shared store's (half the round trip is the error) with each maintenance,
    /// the first before the first lease; a difference of a second or more is logged whenever it changes by that much.
    /// </summary>
    private async Task AlignClockAsync(CancellationToken cancellationToken)
    {
        if (_options.FollowStoreClock)
        {
            var sent = _time.GetTimestamp();
            if (await _store.ClockAsync(cancellationToken).ConfigureAwait(false) is { } shared)
            {
                var offset = shared + _time.GetElapsedTime(sent) / 2 - _time.GetUtcNow();
                if (Math.Abs(offset.TotalSeconds) >= 1 && Math.Abs((offset - TimeSpan.FromTicks(Volatile.Read(ref _clockOffsetTicks))).TotalSeconds) >= 1)
                {
                    LogClockOffset(_logger, offset.TotalSeconds);
                }
                Volatile.Write(ref _clockOffsetTicks, offset.Ticks);
            }
        }
        _clockAligned.TrySetResult();
    }

    /// <summary>
    /// Maintenance when due (expired leases, retention), then leases due tasks while workers are
    /// free; returns the attempts started (tests await them).
    /// </summary>
    internal async Task<IReadOnlyList<Task>> StartDueAsync(CancellationToken cancellationToken = default)
    {
        var now = Now();
        if (now >= _nextMaintenance)
        {
            await AlignClockAsync(cancellationToken).ConfigureAwait(false);
            now = Now();
            _nextMaintenance = now + MaintenanceInterval;
            var expired = await _store.ReclaimExpiredAsync(now.ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
            if (expired > 0)
            {
                LogReclaimed(_logger, expired);
            }
            await _store.PurgeAsync((now - _options.Retention).ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        }

        var started = new List<Task>();
        await _leaseLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var filtered = new List<string>();
            if (_running.Count < _options.Workers)
            {
                foreach (var filter in _filters)
                {
                    filtered.AddRange(await filter.ExcludedHostsAsync(cancellationToken).ConfigureAwait(false));
                }
            }
            while (_running.Count < _options.Workers)
            {
                var saturated = _running.Values.GroupBy(r => r.Task.Host, StringComparer.Ordinal)
                    .Where(g => g.Count() >= _options.PerHostLimit).Select(g => g.Key).Concat(filtered).Distinct(StringComparer.Ordinal).ToList();
                var leaseNow = Now();
                var task = await _store.LeaseAsync(Owner, leaseNow.ToUnixTimeMilliseconds(), (leaseNow + _options.Lease).ToUnixTimeMilliseconds(), saturated, cancellationToken).ConfigureAwait(false);
                if (task is null)
                {
                    break;
                }
                var running = new RunningTask(task, CancellationTokenSource.CreateLinkedTokenSource(_stopping));
                _running[task.Id] = running;
                running.Completion = RunAsync(running);
                started.Add(running.Completion);
            }
        }
        finally
        {
            _leaseLock.Release();
        }
        return started;
    }

    private async Task RunAsync(RunningTask running)
    {
        await Task.Yield();
        var task = running.Task;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        TaskOutcome? outcome = null;
        using var renewal = new CancellationTokenSource();
        var renewing = RenewAsync(running, renewal.Token);
        try
        {
            if (!_handlers.TryGetValue(task.Kind, out var handler))
            {
                outcome = TaskOutcome.Permanent("UnknownTaskKind", $"No handler runs tasks of kind '{task.Kind}'.");
                await CompleteAsync(running, null, outcome).ConfigureAwait(false);
                return;
            }
            var lastSaved = DateTimeOffset.MinValue;
            var run = new TaskRun(task, (done, total) =>
            {
                var now = _time.GetUtcNow();
                // One progress write at a time, off the copy's path; one that is still under way skips this report.
                if ((now - lastSaved >= ProgressInterval || done == total) && Interlocked.CompareExchange(ref _progressWriting, 1, 0) == 0)
                {
                    lastSaved = now;
                    _ = SaveProgressAsync(task.Id, done, total);
                }
            });
            try
            {
                outcome = await handler.RunAsync(run, running.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (running.Token.IsCancellationRequested)
            {
                outcome = null;
            }
            catch (Exception e)
            {
                LogTaskError(_logger, task.Id, task.Kind, e);
                // A store that fails to take the object (a full disk, an S3 endpoint that is down) is neither the task's
                // fault nor the gateway's bug: said as what it is, and retried like any transient failure.
                outcome = Dependencies.DependencyFailure.Of(e) == Dependencies.DependencyFailure.Store
                    ? TaskOutcome.Retry(Dependencies.DependencyFailure.StoreFailed, "The object store could not store the object; the task is retried.")
                    : TaskOutcome.Retry("InternalError", "The task failed unexpectedly; see the gateway's log.");
            }
            if (running.Token.IsCancellationRequested)
            {
                outcome = null;
            }
            await CompleteAsync(running, handler, outcome).ConfigureAwait(false);
            _metrics?.TaskAttempt(task.Kind, outcome switch
            {
                null => "stopped",
                { Succeeded: true } => "succeeded",
                { Transient: true } when task.Attempts < task.MaxAttempts => "retry",
                _ => "failed",
            }, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
            _running.TryRemove(task.Id, out _);
            running.Dispose();
            Wake();
        }
    }

    /// <summary>
    /// Writes how an attempt ended. Through a database outage the write is retried for as long as the
    /// lease could still be held; after that the task belongs to whoever reclaims it, and runs again.
    /// </summary>
    private async Task CompleteAsync(RunningTask running, ITaskHandler? handler, TaskOutcome? outcome)
    {
        using var patience = new CancellationTokenSource(_stopping.IsCancellationRequested ? TimeSpan.FromSeconds(2) : _options.Lease, _time);
        try
        {
            await Dependencies.DatabaseRetry.RunAsync(token => CompleteOnceAsync(running, handler, outcome, token), patience.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (patience.IsCancellationRequested)
        {
            LogCompletionLost(_logger, running.Task.Id, running.Task.Kind);
        }
    }

    /// <summary>Writes a progress report; a database outage only delays the next one (progress is a report, not a result).</summary>
    private async Task SaveProgressAsync(string id, long done, long? total)
    {
        try
        {
            await _store.ProgressAsync(id, Owner, done, total).ConfigureAwait(false);
        }
        catch (Exception e) when (DependencyFailure.Of(e) == DependencyFailure.Database)
        {
        }
        finally
        {
            Volatile.Write(ref _progressWriting, 0);
        }
    }

    private async Task<bool> CompleteOnceAsync(RunningTask running, ITaskHandler? handler, TaskOutcome? outcome, CancellationToken cancellationToken)
    {
        var task = running.Task;
        if (outcome is null)
        {
            // Stopped: a cancel already wrote its state; a lost lease belongs to someone else now.
            if (running.End == RunEnd.Shutdown || (running.End == RunEnd.None && _stopping.IsCancellationRequested))
            {
                await _store.ReleaseAsync(task.Id, Owner, cancellationToken).ConfigureAwait(false);
            }
            return true;
        }
        var now = Now();
        if (!outcome.Succeeded && outcome.Transient && task.Attempts < task.MaxAttempts && handler is not null)
        {
            var delay = handler.Retry.Delay(task.Attempts, Random.Shared);
            await _store.RetryAsync(task.Id, Owner, (now + delay).ToUnixTimeMilliseconds(), outcome.Code, outcome.Message, cancellationToken).ConfigureAwait(false);
            LogRetry(_logger, task.Id, task.Kind, task.Attempts, outcome.Code ?? "", (long)delay.TotalMilliseconds);
            return true;
        }
        var state = outcome.Succeeded ? TaskState.Succeeded : TaskState.Failed;
        var followUps = (handler?.FollowUps(task, outcome) ?? [])
            .Where(next => _handlers.ContainsKey(next.Kind))
            .Select(next => Record(next, _handlers[next.Kind]))
            .ToList();
        var tally = handler?.Tally(task, outcome);
        if (await _store.FinishAsync(task.Id, Owner, state, outcome, now.ToUnixTimeMilliseconds(), followUps, tally, cancellationToken).ConfigureAwait(false) && followUps.Count > 0)
        {
            Wake();
        }
        if (!outcome.Succeeded)
        {
            LogFailed(_logger, task.Id, task.Kind, outcome.Code ?? "", task.Attempts);
        }
        return true;
    }

    /// <summary>
    /// Renews the lease every third of its length. A renewal the database cannot take is tried again
    /// sooner; once the lease may have run out without one, the attempt stops and commits nothing.
    /// </summary>
    private async Task RenewAsync(RunningTask running, CancellationToken cancellationToken)
    {
        var every = _options.Lease / 3;
        var heldUntil = Now() + _options.Lease;
        var wait = every;
        while (true)
        {
            try
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var now = Now();
            bool renewed;
            try
            {
                renewed = await _store.RenewAsync(running.Task.Id, Owner, (now + _options.Lease).ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (DependencyFailure.Of(e) == DependencyFailure.Database)
            {
                if (now + every / 2 >= heldUntil)
                {
                    running.Cancel(RunEnd.LeaseLost);
                    return;
                }
                wait = every / 4;
                continue;
            }
            if (!renewed)
            {
                // Cancelled elsewhere, or the lease was reclaimed: stop, commit nothing.
                running.Cancel(RunEnd.LeaseLost);
                return;
            }
            heldUntil = now + _options.Lease;
            wait = every;
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private enum RunEnd
    {
        None,
        Cancelled,
        LeaseLost,
        Shutdown,
    }

    private sealed class RunningTask(TaskRecord task, CancellationTokenSource cancellation) : IDisposable
    {
        private int _end;

        public TaskRecord Task { get; } = task;

        public CancellationToken Token { get; } = cancellation.Token;

        public Task Completion { get; set; } = System.Threading.Tasks.Task.CompletedTask;

        public RunEnd End => (RunEnd)Volatile.Read(ref _end);

        public void Cancel(RunEnd end)
        {
            if (Interlocked.CompareExchange(ref _end, (int)end, (int)RunEnd.None) == (int)RunEnd.None)
            {
                try
                {
                    cancellation.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // Already finished.
                }
            }
        }

        public void Dispose() => cancellation.Dispose();
    }

    [LoggerMessage(EventId = LogEvents.TasksReclaimed, Level = LogLevel.Information, Message = "Task engine: {Count} running task(s) put back in the queue")]
    private static partial void LogReclaimed(ILogger logger, int count);

    [LoggerMessage(EventId = LogEvents.TaskRetry, Level = LogLevel.Information, Message = "Task {TaskId} ({Kind}) attempt {Attempt} failed with {Code}; retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string taskId, string kind, int attempt, string code, long delayMs);

    [LoggerMessage(EventId = LogEvents.TaskFailed, Level = LogLevel.Warning, Message = "Task {TaskId} ({Kind}) failed with {Code} after {Attempts} attempt(s)")]
    private static partial void LogFailed(ILogger logger, string taskId, string kind, string code, int attempts);

    [LoggerMessage(EventId = LogEvents.TaskThrew, Level = LogLevel.Error, Message = "Task {TaskId} ({Kind}) threw")]
    private static partial void LogTaskError(ILogger logger, string taskId, string kind, Exception exception);



    [LoggerMessage(EventId = LogEvents.ClockOffset, Level = LogLevel.Warning, Message = "This replica's clock is {OffsetSeconds:0.0} s off the control database's (a positive figure: behind it); task leases and schedules follow the database's clock")]
    private static partial void LogClockOffset(ILogger logger, double offsetSeconds);

    [LoggerMessage(EventId = LogEvents.CompletionLost, Level = LogLevel.Warning, Message = "Task {TaskId} ({Kind}): its result could not be written while the lease lasted; the task runs again")]
    private static partial void LogCompletionLost(ILogger logger, string taskId, string kind);
}
