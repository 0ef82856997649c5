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
    bool Insert(TaskRecord task, string? dedupKey);

    TaskRecord? Get(string id);

    /// <summary>
    /// Leases the next due task whose host is not excluded (highest priority, oldest first): a queued one, or
    /// one still marked running whose lease ran out (its holder died) — taken over at once, not at the next reclaim.
    /// </summary>
    TaskRecord? Lease(string owner, long now, long leaseUntil, IReadOnlyCollection<string> excludedHosts);

    /// <summary>Extends a lease; false when the task is no longer running under this owner (cancelled, reclaimed).</summary>
    bool Renew(string id, string owner, long leaseUntil);

    void Progress(string id, string owner, long done, long? total);

    /// <summary>
    /// Ends a running task (succeeded or failed) and queues its follow-ups in the same transaction;
    /// a follow-up of kind <c>callback</c> marks the task's callback <c>pending</c>.
    /// </summary>
    bool Finish(string id, string owner, TaskState state, TaskOutcome outcome, long now, IReadOnlyList<TaskRecord> followUps);

    /// <summary>Puts a running task back in the queue until <paramref name="notBefore"/>, keeping the error.</summary>
    bool Retry(string id, string owner, long notBefore, string? code, string? message);

    /// <summary>Puts a running task back in the queue at once without counting the attempt (shutdown).</summary>
    bool Release(string id, string owner);

    CancelResult Cancel(string id, long now);

    /// <summary>Requeues running tasks whose lease expired (their replica died).</summary>
    int ReclaimExpired(long now);

    /// <summary>
    /// At start-up: requeues what this store knows cannot be running any more. SQLite (one process)
    /// requeues every running task; shared databases wait for the leases to expire.
    /// </summary>
    int ReclaimAtStartup();

    /// <summary>Deletes tasks that finished before the given time.</summary>
    int Purge(long finishedBefore);

    /// <summary>The newest tasks (newest first) of the given buckets, for the admin page.</summary>
    IReadOnlyList<TaskRecord> Recent(int limit, IReadOnlyCollection<string> buckets);

    /// <summary>How many tasks there are by kind and state (for the tasks gauge).</summary>
    IReadOnlyList<(string Kind, TaskState State, long Count)> Counts();

    /// <summary>Records a follow-up's delivery on the task it reports (callbacks).</summary>
    void SetCallback(string id, string state, int attempts, string? error);
}
