namespace OriginGateway.Tasks;

/// <summary>Runs one kind of task on the engine.</summary>
internal interface ITaskHandler
{
    /// <summary>The <see cref="TaskRecord.Kind"/> it runs.</summary>
    string Kind { get; }

    /// <summary>How often and how far apart transient failures are retried.</summary>
    RetryPolicy Retry { get; }

    /// <summary>One attempt. Cancellation means: stop, commit nothing.</summary>
    Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken);

    /// <summary>Tasks to queue with the final outcome, in the same transaction (a callback, a scheduled deletion).</summary>
    IReadOnlyList<NewTask> FollowUps(TaskRecord task, TaskOutcome outcome) => [];

    /// <summary>What to count of the final outcome, in the same transaction: once per task, however often it ran.</summary>
    TaskTally? Tally(TaskRecord task, TaskOutcome outcome) => null;
}

/// <summary>One attempt of a task, as its handler sees it.</summary>
internal sealed class TaskRun(TaskRecord task, Action<long, long?> progress)
{
    public TaskRecord Task { get; } = task;

    /// <summary>Bytes received so far and the total when known (saved at most once a second).</summary>
    public void Progress(long done, long? total) => progress(done, total);
}
