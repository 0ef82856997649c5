using System.Text.Json;
using System.Text.Json.Serialization;
using OriginGateway.Origins;
using OriginGateway.Tasks;

namespace OriginGateway.Oms;

/// <summary>
/// One object of a sync task (kind <c>sync-copy</c>, priority −2, host <c>sync:&lt;task id&gt;</c>):
/// run only by the replica holding the task's keys — <see cref="SyncLeaseFilter"/> keeps the others
/// (and every replica after a restart) from leasing it, so it waits, parked, until the task is
/// started again with its keys.
/// </summary>
internal sealed class SyncCopyHandler(
    SyncTaskRepository repository,
    SyncKeys keys,
    SyncSource source,
    TaskFill fill,
    TaskOptions options) : ITaskHandler
{
    public const string TaskKind = "sync-copy";

    public const int Priority = -2;

    public string Kind => TaskKind;

    public RetryPolicy Retry { get; } = options.RetryPolicy();

    public static string Host(string syncTaskId) => "sync:" + syncTaskId;

    public static NewTask Create(SyncTask task, SourceObject item) => new(
        TaskKind, task.DestinationBucket, task.DestinationPrefix + item.DestinationName, Host(task.Id), Priority,
        JsonSerializer.Serialize(new SyncCopyPayload(task.Id, item.SourceKey, item.ETag), SyncJsonContext.Default.SyncCopyPayload),
        DedupKey: $"{TaskKind}\n{task.Id}\n{task.DestinationPrefix}{item.DestinationName}");

    public async Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.Deserialize(run.Task.Payload, SyncJsonContext.Default.SyncCopyPayload)!;
        if (await repository.GetAsync(payload.SyncTaskId, cancellationToken).ConfigureAwait(false) is not { } task)
        {
            return TaskOutcome.Permanent("NoSuchSyncTask", "The sync task was deleted.");
        }
        if (keys.Get(task.Id) is not { } credentials)
        {
            // Leased here without the keys (the lease filter normally prevents it): wait for the owner.
            return TaskOutcome.Retry("NotOwner", "This replica does not hold the sync task's keys.");
        }
        return await CopyAsync(task, credentials, payload, run, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The sync task's counters take the copy's final outcome with it: once, however often the copy ran.</summary>
    public TaskTally Tally(TaskRecord task, TaskOutcome outcome) => SyncTaskRepository.CopyDone(
        JsonSerializer.Deserialize(task.Payload, SyncJsonContext.Default.SyncCopyPayload)!.SyncTaskId,
        outcome.Succeeded, outcome.Size ?? 0, outcome.Succeeded ? null : $"{task.Key}: {outcome.Code}");

    private async Task<TaskOutcome> CopyAsync(SyncTask task, SyncCredentials credentials, SyncCopyPayload payload, TaskRun run, CancellationToken cancellationToken)
    {
        if (fill.Target(task.DestinationBucket, run.Task.Key, out var bucket) is { } refused)
        {
            return refused;
        }
        var url = source.CopyUrl(task, credentials, payload.SourceKey);
        // OMS's enable_metadata_migration: without it only the Content-Type is migrated.
        return await fill.RunAsync(bucket, run.Task.Key, OriginFetchRequest.ForUrl(url, TaskKind), null, run, cancellationToken,
            keepMetadata: task.MetadataMigration).ConfigureAwait(false);
    }
}

internal sealed record SyncCopyPayload(string SyncTaskId, string SourceKey, string? ETag);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SyncCopyPayload))]
internal sealed partial class SyncJsonContext : JsonSerializerContext;
