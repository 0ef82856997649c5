namespace OriginGateway.Tasks;

/// <summary>
/// The durable queue under the task engine. Every state change names the lease owner, so a
/// replica that lost its lease (or whose task was cancelled) cannot overwrite the outcome. The
/// lease is one statement — <c>UPDATE … WHERE id = (SELECT … ORDER BY priority DESC, seq LIMIT 1)</c>
/// — which PostgreSQL runs with <c>FOR UPDATE SKIP LOCKED</c> in the sub-select.
/// </summary>
internal interface ITaskStore
{
    /// <summary>Stores a new task; false when <see cref="NewTask.DedupKey"/> is held by a queued or running task.</summary>
    Task<bool> InsertAsync(TaskRecord task, string? dedupKey, CancellationToken cancellationToken = default);

    Task<TaskRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases the next due task whose host is not excluded (highest priority, oldest first): a queued one, or
    /// one still marked running whose lease ran out (its holder died) — taken over at once, not at the next reclaim.
    /// </summary>
    Task<TaskRecord?> LeaseAsync(string owner, long now, long leaseUntil, IReadOnlyCollection<string> excludedHosts, CancellationToken cancellationToken = default);

    /// <summary>
    /// The clock of a store that several replicas share (PostgreSQL's), which leases and schedules follow so that replicas
    /// whose own clocks disagree read each other's leases alike; null for a store of one process (SQLite), whose replica's
    /// clock serves.
    /// </summary>
    Task<DateTimeOffset?> ClockAsync(CancellationToken cancellationToken = default);

    /// <summary>Extends a lease; false when the task is no longer running under this owner (cancelled, reclaimed).</summary>
    Task<bool> RenewAsync(string id, string owner, long leaseUntil, CancellationToken cancellationToken = default);

    Task ProgressAsync(string id, string owner, long done, long? total, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a running task (succeeded or failed) and, in the same transaction, queues its follow-ups and writes its
    /// handler's tally; a follow-up of kind <c>callback</c> marks the task's callback <c>pending</c>.
    /// </summary>
    Task<bool> FinishAsync(string id, string owner, TaskState state, TaskOutcome outcome, long now, IReadOnlyList<TaskRecord> followUps, TaskTally? tally = null, CancellationToken cancellationToken = default);

    /// <summary>Puts a running task back in the queue until <paramref name="notBefore"/>, keeping the error.</summary>
    Task<bool> RetryAsync(string id, string owner, long notBefore, string? code, string? message, CancellationToken cancellationToken = default);

    /// <summary>Puts a running task back in the queue at once without counting the attempt (shutdown).</summary>
    Task<bool> ReleaseAsync(string id, string owner, CancellationToken cancellationToken = default);

    Task<CancelResult> CancelAsync(string id, long now, CancellationToken cancellationToken = default);

    /// <summary>Requeues running tasks whose lease expired (their replica died).</summary>
    Task<int> ReclaimExpiredAsync(long now, CancellationToken cancellationToken = default);

    /// <summary>
    /// At start-up: requeues what this store knows cannot be running any more. SQLite (one process)
    /// requeues every running task; shared databases wait for the leases to expire.
    /// </summary>
    Task<int> ReclaimAtStartupAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes tasks that finished before the given time.</summary>
    Task<int> PurgeAsync(long finishedBefore, CancellationToken cancellationToken = default);

    /// <summary>The newest tasks (newest first) of the given buckets, for the admin page.</summary>
    Task<IReadOnlyList<TaskRecord>> RecentAsync(int limit, IReadOnlyCollection<string> buckets, CancellationToken cancellationToken = default);

    /// <summary>How many tasks there are by kind and state (for the tasks gauge).</summary>
    Task<IReadOnlyList<(string Kind, TaskState State, long Count)>> CountsAsync(CancellationToken cancellationToken = default);

    /// <summary>Records a follow-up's delivery on the task it reports (callbacks).</summary>
    Task SetCallbackAsync(string id, string state, int attempts, string? error, CancellationToken cancellationToken = default);
}
