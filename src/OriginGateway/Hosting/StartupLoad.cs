using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Lifecycle;
using OriginGateway.Observability;
using OriginGateway.Persistence;
using OriginGateway.Rules;
using Polly;
using Polly.Retry;

namespace OriginGateway.Hosting;

/// <summary>
/// What the gateway serves from memory, loaded from the control database at start: the migrations, then every bucket's
/// policy, origin rules and CORS. When the database is away at start (<see cref="ControlDatabase.IsOutage"/>), the gateway
/// still listens with its <see cref="StartupGate"/> held and <see cref="WaitForDatabaseAsync">retries the load</see> in the
/// background until the database answers — no replica that starts during an outage (a rolling restart, a node lost while the
/// database fails over) exits and leaves its restart to a supervisor's growing back-off.
/// </summary>
internal static partial class StartupLoad
{
    /// <summary>Loads everything; returns the problems of stored configuration that is not valid (nothing is served then).</summary>
    public static async Task<IReadOnlyList<string>> LoadAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<ControlDatabase>().MigrateAsync(ControlDatabaseMigrations.All, cancellationToken).ConfigureAwait(false);
        var registry = services.GetRequiredService<BucketRegistry>();
        await services.GetRequiredService<Security.BucketPolicyService>().LoadAllAsync(registry.All.Select(b => b.Name), cancellationToken).ConfigureAwait(false);
        return [
            .. await services.GetRequiredService<OriginConfigurationService>().LoadAllAsync(cancellationToken).ConfigureAwait(false),
            .. await services.GetRequiredService<Cors.CorsService>().LoadAllAsync(cancellationToken).ConfigureAwait(false),
        ];
    }

    /// <summary>A failure of the load, as readiness and the logs name it (the driver's message and its cause's).</summary>
    public static string Describe(Exception exception) =>
        exception.InnerException is { } inner && !exception.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{exception.Message} ({inner.Message})"
            : exception.Message;

    /// <summary>Holds the gate after the first load found the database away, and says so in the log.</summary>
    public static void Hold(IServiceProvider services, Exception failure)
    {
        var reason = Describe(failure);
        services.GetRequiredService<StartupGate>().Hold(reason, services.GetRequiredService<TimeProvider>().GetUtcNow());
        LogWaiting(Logger(services), reason);
    }

    /// <summary>
    /// Retries the load with back-off (200 ms doubling to 1 s, with jitter) while the database is away, and opens the gate
    /// once it succeeds. Returns null then (or when the host stops first), else why the gateway cannot start: a failure that
    /// is no outage (the database refused the credential, does not exist), or stored configuration that is not valid.
    /// </summary>
    public static async Task<string?> WaitForDatabaseAsync(IServiceProvider services, CancellationToken stoppingToken)
    {
        var gate = services.GetRequiredService<StartupGate>();
        var database = services.GetRequiredService<ControlDatabase>();
        var time = services.GetRequiredService<TimeProvider>();
        var logger = Logger(services);
        var lastLogged = time.GetUtcNow();
        var retrying = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(database.IsOutage),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                // A replica that serves nothing meanwhile asks again at least once a second: one connection attempt.
                MaxDelay = TimeSpan.FromSeconds(1),
                OnRetry = args =>
                {
                    var now = time.GetUtcNow();
                    var reason = Describe(args.Outcome.Exception!);
                    gate.Hold(reason, now);
                    var waiting = now - gate.HeldSince;
                    if (now - lastLogged >= TimeSpan.FromMinutes(1))
                    {
                        lastLogged = now;
                        LogStillWaiting(logger, waiting.TotalSeconds, reason);
                    }
                    return default;
                },
            })
            .Build();
        try
        {
            var problems = await retrying.ExecuteAsync(async token => await LoadAsync(services, token).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
            if (problems.Count > 0)
            {
                return "invalid bucket configuration: " + string.Join("; ", problems);
            }
            var waited = time.GetUtcNow() - gate.HeldSince;
            LogLoaded(logger, waited.TotalSeconds);
            gate.Open();
            return null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e)
        {
            // No outage (the database refused the credential, or something else broke the load): nothing would mend it.
            return Describe(e);
        }
    }

    private static ILogger Logger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger("OriginGateway.Startup");

    [LoggerMessage(EventId = LogEvents.StartupWaiting, Level = LogLevel.Warning, Message = "The control database cannot be reached at start ({Reason}): listening all the same, every request but /healthz, /readyz and /metrics is answered 503 ServiceUnavailable and readiness is 503 until the configuration is loaded from it; retrying with back-off")]
    private static partial void LogWaiting(ILogger logger, string reason);

    [LoggerMessage(EventId = LogEvents.StartupStillWaiting, Level = LogLevel.Warning, Message = "Still waiting for the control database after {Seconds:F0} s ({Reason})")]
    private static partial void LogStillWaiting(ILogger logger, double seconds, string reason);

    [LoggerMessage(EventId = LogEvents.StartupLoaded, Level = LogLevel.Information, Message = "The control database answered after {Seconds:F1} s: configuration loaded, serving")]
    private static partial void LogLoaded(ILogger logger, double seconds);
}
