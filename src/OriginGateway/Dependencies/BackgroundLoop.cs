using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using Polly;
using Polly.Retry;

namespace OriginGateway.Dependencies;

/// <summary>
/// The loop of a background service that must outlive its dependencies' outages: it runs an iteration
/// every <c>interval</c>; a failing iteration is retried by a Polly pipeline (exponential back-off with
/// jitter, 200 ms up to <see cref="MaxBackoff"/>, for as long as it takes), logged once when it starts
/// failing and once when it works again — the loop never ends before the host stops.
/// </summary>
internal static partial class BackgroundLoop
{
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(string name, Func<CancellationToken, Task> iteration, TimeSpan interval, TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        var retrying = Retrying(name, time, logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await retrying.ExecuteAsync(async token => await iteration(token).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Retries an iteration until it works (any failure but shutdown), with back-off and jitter; logs the
    /// first failure of a run of them and the recovery after it. One pipeline per loop.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Polly validates a custom strategy's options by reflection; RecoveryLoggerOptions adds no member to validate.")]
    public static ResiliencePipeline Retrying(string name, TimeProvider time, ILogger logger)
    {
        var failures = 0;
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = MaxBackoff,
                OnRetry = args =>
                {
                    if (Interlocked.Increment(ref failures) == 1)
                    {
                        var e = args.Outcome.Exception!;
                        LogFailing(logger, name, DependencyFailure.Of(e) ?? "unexpected", e);
                    }
                    return default;
                },
            })
            .AddStrategy(_ => new RecoveryLogger(() => Interlocked.Exchange(ref failures, 0), count => LogRecovered(logger, name, count)), new RecoveryLoggerOptions())
            .Build();
    }

    /// <summary>Innermost strategy: after a success, says so once if failures came before it.</summary>
    private sealed class RecoveryLogger(Func<int> takeFailures, Action<int> log) : ResilienceStrategy
    {
        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
        {
            var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            if (outcome.Exception is null && takeFailures() is var failed and > 0)
            {
                log(failed);
            }
            return outcome;
        }
    }

    private sealed class RecoveryLoggerOptions : ResilienceStrategyOptions;

    [LoggerMessage(EventId = LogEvents.BackgroundLoopFailing, Level = LogLevel.Warning, Message = "{Name} is failing ({Dependency}); retrying with back-off until it works again")]
    private static partial void LogFailing(ILogger logger, string name, string dependency, Exception exception);

    [LoggerMessage(EventId = LogEvents.BackgroundLoopRecovered, Level = LogLevel.Information, Message = "{Name} works again after {Failures} failed attempt(s)")]
    private static partial void LogRecovered(ILogger logger, string name, int failures);
}
