using Microsoft.Extensions.Logging;

namespace OriginGateway.Dependencies;

/// <summary>
/// The loop of a background service that must outlive its dependencies' outages: it runs an iteration
/// every <c>interval</c>; when one fails it logs once (and once more when it works again), backs off
/// exponentially up to <see cref="MaxBackoff"/>, and resumes — it never ends before the host stops.
/// </summary>
internal static partial class BackgroundLoop
{
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(string name, Func<CancellationToken, Task> iteration, TimeSpan interval, TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = interval;
            try
            {
                await iteration(stoppingToken).ConfigureAwait(false);
                if (failures > 0)
                {
                    LogRecovered(logger, name, failures);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (failures++ == 0)
                {
                    LogFailing(logger, name, DependencyFailure.Of(e) ?? "unexpected", e);
                }
                wait = Backoff(failures);
            }
            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>200 ms doubling per failure, at most <see cref="MaxBackoff"/>.</summary>
    public static TimeSpan Backoff(int failures) => TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 200 * Math.Pow(2, Math.Min(failures - 1, 10))));

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "{Name} is failing ({Dependency}); retrying with back-off until it works again")]
    private static partial void LogFailing(ILogger logger, string name, string dependency, Exception exception);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Information, Message = "{Name} works again after {Failures} failed attempt(s)")]
    private static partial void LogRecovered(ILogger logger, string name, int failures);
}
