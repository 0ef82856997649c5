using OriginGateway.Configuration;

namespace OriginGateway.Tasks;

/// <summary>The task engine (<c>Tasks</c> section, <c>02-tasks.md</c> §2.1).</summary>
public sealed class TaskOptions : ISettingsSection<TaskOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, TaskOptions target) => section.Bind(target);

    /// <summary>
    /// Whether leases and schedules follow the shared control database's clock (<see cref="ITaskStore.ClockAsync"/>) rather
    /// than this replica's. Always on in the gateway (not a setting); off only where a test drives the engine on a clock of
    /// its own.
    /// </summary>
    internal bool FollowStoreClock { get; set; } = true;

    /// <summary>Task fills running at once on this replica. Default 4.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>Task fills running at once against one origin host on this replica. Default 2.</summary>
    public int PerHostLimit { get; set; } = 2;

    /// <summary>How long a running task's lease lasts; renewed every third of it. Default 60 s.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts before a task that keeps failing transiently fails. Default 5.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First retry delay bound (exponential backoff with full jitter). Default 2 s.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest retry delay bound. Default 5 min.</summary>
    public TimeSpan RetryCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Finished tasks are purged after this long. Default 7 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the queue is looked at when nothing wakes the engine (retries due, other replicas' tasks). Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>The retry policy of task fills, from <see cref="TaskOptions"/>.</summary>
internal static class TaskOptionsExtensions
{
    public static RetryPolicy RetryPolicy(this TaskOptions options) => new(options.MaxAttempts, options.RetryBase, options.RetryCap);
}
