namespace OriginGateway.Tasks;

/// <summary>Where a task is in its life (<c>02-tasks.md</c> §2.1).</summary>
internal enum TaskState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>The stored spelling of <see cref="TaskState"/>, the same for every database provider.</summary>
internal static class TaskStates
{
    public static string ToText(TaskState state) => state switch
    {
        TaskState.Queued => "queued",
        TaskState.Running => "running",
        TaskState.Succeeded => "succeeded",
        TaskState.Failed => "failed",
        TaskState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static TaskState Parse(string text) => text switch
    {
        "queued" => TaskState.Queued,
        "running" => TaskState.Running,
        "succeeded" => TaskState.Succeeded,
        "failed" => TaskState.Failed,
        "cancelled" => TaskState.Cancelled,
        _ => throw new FormatException($"unknown task state '{text}'"),
    };

    public static bool IsFinished(TaskState state) => state is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled;
}

/// <summary>One task row. Times are Unix milliseconds.</summary>
internal sealed record TaskRecord
{
    /// <summary>
    /// The kind of the follow-up task that delivers a finished task's callback: finishing a task with one
    /// marks its callback pending (the task kind lives with the callbacks; the engine only knows its name).
    /// </summary>
    public const string CallbackKind = "callback";

    public required string Id { get; init; }

    /// <summary>Which handler runs it: <c>fetch</c>, <c>store</c>, <c>callback</c>, ….</summary>
    public required string Kind { get; init; }

    public required string Bucket { get; init; }

    public required string Key { get; init; }

    /// <summary>The host it talks to, for the per-host cap.</summary>
    public required string Host { get; init; }

    /// <summary>−10..10, higher first; FIFO within a priority.</summary>
    public required int Priority { get; init; }

    public required TaskState State { get; init; }

    /// <summary>The handler's own parameters (JSON).</summary>
    public required string Payload { get; init; }

    /// <summary>The task this one follows up (a callback's fetch task), or null.</summary>
    public string? ParentId { get; init; }

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; init; }

    public required int MaxAttempts { get; init; }

    /// <summary>Not leased before this time (retry backoff).</summary>
    public long NotBefore { get; init; }

    public long CreatedAt { get; init; }

    public long? StartedAt { get; init; }

    public long? FinishedAt { get; init; }

    public string? LeaseOwner { get; init; }

    public long? LeaseUntil { get; init; }

    public long BytesDone { get; init; }

    public long? BytesTotal { get; init; }

    /// <summary>The failure code (or the last transient one while retrying).</summary>
    public string? ResultCode { get; init; }

    public string? ResultMessage { get; init; }

    public long? Size { get; init; }

    public string? ETag { get; init; }

    /// <summary>Callback delivery of this task: null (none), <c>pending</c>, <c>delivered</c>, <c>failed</c>.</summary>
    public string? CallbackState { get; init; }

    public int CallbackAttempts { get; init; }

    public string? CallbackError { get; init; }

    /// <summary>0..100 from the bytes received and the total, when known; 100 once succeeded.</summary>
    public int Percent => State == TaskState.Succeeded ? 100
        : BytesTotal is > 0 and var total ? (int)Math.Min(99, BytesDone * 100 / total) : 0;
}

/// <summary>A task to queue. The engine gives it its id and times.</summary>
/// <param name="DedupKey">While a queued or running task holds this key, another with it is not queued.</param>
/// <param name="NotBefore">Not run before this time (a scheduled deletion); now when null.</param>
internal sealed record NewTask(string Kind, string Bucket, string Key, string Host, int Priority, string Payload, string? ParentId = null, string? DedupKey = null,
    string? CallbackState = null, DateTimeOffset? NotBefore = null);

/// <summary>
/// A handler's own record of a task's final outcome (a tally on its feature's table), written in the same
/// transaction as the outcome: an attempt whose outcome was never written runs again, and only the written one counts.
/// </summary>
internal sealed record TaskTally(string Sql, IReadOnlyList<(string Name, object? Value)> Parameters);

/// <summary>What a finished run reports.</summary>
internal sealed record TaskOutcome(bool Succeeded, bool Transient, string? Code, string? Message, long? Size = null, string? ETag = null)
{
    /// <summary>The objects the attempt stored (kept in memory for follow-ups, not in the database).</summary>
    public IReadOnlyList<string>? Keys { get; init; }

    /// <summary>The stored object's Content-Type, where a follow-up needs it (in memory only).</summary>
    public string? ContentType { get; init; }

    public static TaskOutcome Success(long size, string etag, string? message = null) => new(true, false, null, message, size, etag);

    /// <summary>Fails at once: other 4xx, checksum mismatches, egress and policy denials.</summary>
    public static TaskOutcome Permanent(string code, string message) => new(false, false, code, message);

    /// <summary>Retried with backoff: connect errors, timeouts, 5xx, 408, 429, truncated bodies.</summary>
    public static TaskOutcome Retry(string code, string message) => new(false, true, code, message);
}

/// <summary>Exponential backoff with full jitter: attempt n waits a uniform time in [0, min(cap, base·2ⁿ⁻¹)].</summary>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan Base, TimeSpan Cap)
{
    public TimeSpan Bound(int attempt) =>
        TimeSpan.FromTicks((long)Math.Min(Cap.Ticks, Base.Ticks * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30))));

    public TimeSpan Delay(int attempt, Random random) => TimeSpan.FromTicks((long)(random.NextDouble() * Bound(attempt).Ticks));
}

/// <summary>How a cancel request ended.</summary>
internal enum CancelResult
{
    NotFound,
    AlreadyFinished,
    Cancelled,
}
