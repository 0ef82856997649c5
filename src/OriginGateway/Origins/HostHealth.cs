using System.Collections.Concurrent;

namespace OriginGateway.Origins;

/// <summary>
/// Passive health per origin host:port: after <see cref="OriginPullOptions.FailureThreshold"/>
/// failures in a row (connect errors, timeouts, 5xx — not 404) a host is left out of the weighted
/// choice for <see cref="OriginPullOptions.CoolDown"/>.
/// </summary>
internal sealed class HostHealth(OriginPullOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, State> _hosts = new(StringComparer.OrdinalIgnoreCase);

    public bool IsAvailable(string host) =>
        !_hosts.TryGetValue(host, out var state) || state.OutUntil <= time.GetUtcNow();

    public void Succeeded(string host)
    {
        if (_hosts.TryGetValue(host, out var state))
        {
            lock (state)
            {
                state.Failures = 0;
                state.OutUntil = DateTimeOffset.MinValue;
            }
        }
    }

    public void Failed(string host)
    {
        var state = _hosts.GetOrAdd(host, _ => new State());
        lock (state)
        {
            state.Failures++;
            if (state.Failures >= options.FailureThreshold)
            {
                state.OutUntil = time.GetUtcNow() + options.CoolDown;
                state.Failures = 0;
            }
        }
    }

    private sealed class State
    {
        public int Failures;
        public DateTimeOffset OutUntil = DateTimeOffset.MinValue;
    }
}
