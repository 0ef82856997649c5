namespace OriginGateway.Lifecycle;

/// <summary>
/// Start-up as the gateway's parts see it. Requests are answered from what the gateway holds in memory — origin rules,
/// CORS, bucket policies — loaded from the control database before it listens. When that database cannot be reached at
/// start (down, frozen, restarting, locked by another process) the gateway listens all the same, <see cref="Hold">held</see>:
/// every request but <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> is answered with a retryable 503, readiness names
/// why, the background work that needs the database waits (<see cref="WhenOpen"/>), and the gate opens once the load
/// succeeds. Open unless held.
/// </summary>
internal sealed class StartupGate
{
    /// <summary>What a request is answered (a 503 in its API's format) while the gate is held.</summary>
    public const string HeldMessage = "The gateway is starting and cannot reach its control database yet; retry the request.";

    private TaskCompletionSource? _held;
    private string _reason = "";

    /// <summary>Whether requests are served (false only while a start-up load waits for the database).</summary>
    public bool IsOpen => Volatile.Read(ref _held) is null;

    /// <summary>Completes when the gate opens (at once when it is).</summary>
    public Task WhenOpen => Volatile.Read(ref _held)?.Task ?? Task.CompletedTask;

    /// <summary>Why the gate is held: the load's last failure.</summary>
    public string Reason => Volatile.Read(ref _reason);

    /// <summary>When the gate was first held.</summary>
    public DateTimeOffset HeldSince { get; private set; }

    /// <summary>Holds the gate (before the host starts), or records the latest reason it stays held.</summary>
    public void Hold(string reason, DateTimeOffset now)
    {
        Volatile.Write(ref _reason, reason);
        if (Volatile.Read(ref _held) is null)
        {
            HeldSince = now;
            Volatile.Write(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    /// <summary>Opens the gate: the configuration is loaded.</summary>
    public void Open() => Interlocked.Exchange(ref _held, null)?.TrySetResult();
}
