using System.Text.Json;
using OriginGateway.Buckets;
using OriginGateway.Tasks;

namespace OriginGateway.Vod;

/// <summary>
/// Deletes a PullUpload's media and cover at its <c>ExpireTime</c> (kind <c>expire</c>): a task
/// queued when the media lands, not leased before that time — durable like every other task.
/// </summary>
internal sealed class ExpireHandler(BucketRegistry buckets, TaskOptions options) : ITaskHandler
{
    public const string TaskKind = "expire";

    public string Kind => TaskKind;

    public RetryPolicy Retry { get; } = options.RetryPolicy();

    public static NewTask Create(TaskRecord media, string fileId, IReadOnlyList<string> keys, DateTimeOffset at) => new(
        TaskKind, media.Bucket, media.Key, "expire", 0,
        JsonSerializer.Serialize(new ExpirePayload(fileId, [.. keys]), VodJsonContext.Default.ExpirePayload),
        ParentId: media.Id, NotBefore: at);

    public async Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.Deserialize(run.Task.Payload, VodJsonContext.Default.ExpirePayload)!;
        if (buckets.Find(run.Task.Bucket) is not { } bucket)
        {
            return TaskOutcome.Permanent("NoSuchBucket", "The media bucket is no longer configured.");
        }
        var deleted = 0;
        foreach (var key in payload.Keys)
        {
            if (await bucket.Store.DeleteAsync(key, cancellationToken).ConfigureAwait(false))
            {
                deleted++;
            }
        }
        return TaskOutcome.Success(deleted, "", $"{deleted} object(s) of {payload.FileId} deleted at ExpireTime.");
    }
}
