using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Dependencies;
using OriginGateway.Observability;

namespace OriginGateway.Multipart;

/// <summary>
/// Aborts multipart uploads left unfinished longer than <c>Multipart:AbandonAfter</c>, and removes parts
/// that outlived their upload: at start-up, then every <c>Multipart:SweepInterval</c>.
/// </summary>
internal sealed partial class MultipartSweeper(BucketRegistry buckets, MultipartOptions options, TimeProvider time, ILogger<MultipartSweeper> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Dependencies.BackgroundLoop.RunAsync("Multipart sweeper", SweepOnceAsync, options.SweepInterval, time, logger, stoppingToken);

    /// <summary>One pass over every bucket; returns the uploads aborted.</summary>
    internal async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.AbandonAfter;
        var total = 0;
        foreach (var bucket in buckets.All)
        {
            try
            {
                var swept = await new MultipartUploads(bucket.UploadStore, time).SweepAsync(cutoff, cancellationToken).ConfigureAwait(false);
                if (swept > 0)
                {
                    LogSwept(logger, swept, bucket.Name);
                }
                total += swept;
                // And what the stores themselves hold of writes nobody will finish.
                var abandoned = await bucket.Store.SweepAbandonedWritesAsync(cancellationToken).ConfigureAwait(false)
                    + await bucket.UploadStore.SweepAbandonedWritesAsync(cancellationToken).ConfigureAwait(false);
                if (abandoned > 0)
                {
                    LogAbandonedWrites(logger, abandoned, bucket.Name);
                }
            }
            catch (Exception e) when (DependencyFailure.Of(e) is not null)
            {
                LogSweepFailed(logger, bucket.Name, e);
            }
        }
        return total;
    }

    [LoggerMessage(EventId = LogEvents.MultipartSwept, Level = LogLevel.Information, Message = "Aborted {Count} abandoned multipart uploads in bucket {Bucket}")]
    private static partial void LogSwept(ILogger logger, int count, string bucket);

    [LoggerMessage(EventId = LogEvents.AbandonedWritesSwept, Level = LogLevel.Information, Message = "Aborted {Count} abandoned multipart uploads the object store held for bucket {Bucket}")]
    private static partial void LogAbandonedWrites(ILogger logger, int count, string bucket);

    [LoggerMessage(EventId = LogEvents.MultipartSweepFailed, Level = LogLevel.Warning, Message = "Sweeping abandoned multipart uploads in bucket {Bucket} failed; the next sweep tries again")]
    private static partial void LogSweepFailed(ILogger logger, string bucket, Exception exception);
}
