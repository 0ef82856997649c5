using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OriginGateway.Observability;

namespace OriginGateway.Dependencies;

/// <summary>A dependency readiness watches: its name in <c>/readyz</c> and in metrics, and the check that probes it.</summary>
internal sealed record DependencyProbe(string Name, IHealthCheck Check);

/// <summary>
/// Probes every dependency in the background, once a second each, every probe under its own deadline
/// (<see cref="ProbeTimeout"/>), and keeps the last result with its age. <c>/readyz</c> reads these results,
/// so it answers at once whatever hangs; a probe that does not answer in time counts as failed (and is not
/// started again until it returns). One failed probe makes a dependency unhealthy, one passing probe healthy
/// again — readiness follows an outage within about a second either way. Published as
/// <c>origin_gateway_dependency_up{dependency}</c> (1 healthy, 0 not) and
/// <c>origin_gateway_dependency_failures_total{dependency}</c>.
/// </summary>
internal sealed partial class DependencyMonitor : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyList<DependencyProbe> _probes;
    private readonly TimeProvider _time;
    private readonly ILogger<DependencyMonitor> _logger;
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly Observability.GatewayMetrics _metrics;

    public DependencyMonitor(IEnumerable<DependencyProbe> probes, TimeProvider time, Observability.GatewayMetrics metrics, ILogger<DependencyMonitor> logger)
    {
        _probes = probes.ToList();
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>The dependency's last probe result, described with its age; probed now (under the deadline) when it never was.</summary>
    public async Task<HealthCheckResult> ResultAsync(string name, CancellationToken cancellationToken)
    {
        if (!_states.ContainsKey(name) && _probes.FirstOrDefault(p => p.Name == name) is { } probe)
        {
            await ProbeAsync(probe, cancellationToken).ConfigureAwait(false);
        }
        if (!_states.TryGetValue(name, out var state))
        {
            return HealthCheckResult.Unhealthy($"{name}: not probed yet");
        }
        var age = (_time.GetUtcNow() - state.CheckedAt).TotalSeconds;
        var text = string.Create(CultureInfo.InvariantCulture, $"{state.Result.Description ?? state.Result.Status.ToString()} (probed {age:F1} s ago; {state.Result.Status} for {(_time.GetUtcNow() - state.Since).TotalSeconds:F0} s)");
        return new HealthCheckResult(state.Result.Status, text);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var probe in _probes)
            {
                // One probe of a dependency at a time; a probe past its deadline has already been recorded as failed.
                if (!_running.ContainsKey(probe.Name))
                {
                    var run = ProbeAsync(probe, stoppingToken);
                    _running[probe.Name] = run;
                    _ = run.ContinueWith(_ => _running.TryRemove(probe.Name, out var __), TaskScheduler.Default);
                }
            }
            try
            {
                await Task.Delay(Interval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ProbeAsync(DependencyProbe probe, CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(ProbeTimeout);
        HealthCheckResult result;
        try
        {
            // On the thread pool: some probes block (the database's), none may hold the caller.
            var check = Task.Run(() => probe.Check.CheckHealthAsync(new HealthCheckContext(), deadline.Token), deadline.Token);
            result = await check.WaitAsync(ProbeTimeout, _time, stoppingToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            result = HealthCheckResult.Unhealthy($"{probe.Name}: no answer within {ProbeTimeout.TotalSeconds:F0} s");
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            result = HealthCheckResult.Unhealthy($"{probe.Name}: no answer within {ProbeTimeout.TotalSeconds:F0} s");
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e)
        {
            result = HealthCheckResult.Unhealthy($"{probe.Name}: {e.GetType().Name}: {e.Message}");
        }
        Record(probe.Name, result);
    }

    private void Record(string name, HealthCheckResult result)
    {
        var now = _time.GetUtcNow();
        var previous = _states.TryGetValue(name, out var known) ? known : null;
        var changed = previous is null || previous.Result.Status != result.Status;
        _states[name] = new State(result, now, changed ? now : previous!.Since);
        _metrics.DependencyState(name, result.Status == HealthStatus.Healthy);
        if (result.Status != HealthStatus.Healthy)
        {
            _metrics.DependencyFailed(name);
        }
        if (changed && (previous is not null || result.Status != HealthStatus.Healthy))
        {
            LogChanged(_logger, name, result.Status.ToString(), result.Description ?? "");
        }
    }

    /// <summary>The <c>/readyz</c> body: the overall status, then one line per check naming what fails.</summary>
    public static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder(report.Status.ToString()).Append('\n');
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append(": ").Append(entry.Status);
            if (entry.Status != HealthStatus.Healthy && entry.Description is { Length: > 0 } description)
            {
                text.Append(" — ").Append(description);
            }
            text.Append('\n');
        }
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text.ToString());
    }

    private sealed record State(HealthCheckResult Result, DateTimeOffset CheckedAt, DateTimeOffset Since);

    [LoggerMessage(EventId = LogEvents.DependencyStateChanged, Level = LogLevel.Warning, Message = "Readiness of {Dependency} is now {Status}: {Description}")]
    private static partial void LogChanged(ILogger logger, string dependency, string status, string description);
}

/// <summary>A readiness check that reports what <see cref="DependencyMonitor"/> last saw of one dependency.</summary>
internal sealed class MonitoredHealthCheck(DependencyMonitor monitor, string name) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        monitor.ResultAsync(name, cancellationToken);
}
