using System.Data.Common;
using Polly;
using Polly.Retry;

namespace OriginGateway.Dependencies;

/// <summary>
/// Writes that must reach the control database eventually — a task's lease release, its result, its
/// retry — are retried through a database outage (exponential back-off with jitter, 200 ms to 5 s)
/// until they succeed or the caller gives up (its token: shutdown, or a lease that ran out).
/// </summary>
internal static class DatabaseRetry
{
    private static readonly ResiliencePipeline Pipeline = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<DbException>().Handle<InvalidOperationException>(e => e.InnerException is DbException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = BackgroundLoop.MaxBackoff,
        })
        .Build();

    /// <summary>
    /// Runs a reload in the background until the database takes it (a configuration another replica
    /// changed): what was loaded before stays in force meanwhile.
    /// </summary>
    public static void InBackground(Func<CancellationToken, Task> reload) =>
        _ = Pipeline.ExecuteAsync(async token => await reload(token).ConfigureAwait(false), CancellationToken.None).AsTask();

    /// <summary>Runs a database call, waiting out failures between attempts.</summary>
    public static ValueTask<T> RunAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken) =>
        Pipeline.ExecuteAsync(async token => await write(token).ConfigureAwait(false), cancellationToken);
}
