using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace OriginGateway.FrontDoor;

/// <summary>
/// Caps the data requests in flight (<see cref="LimitsOptions.MaxConcurrentRequests"/>; by default as many as the
/// connections the data endpoint accepts). Over HTTP/1.1 that cap is never reached — a connection carries one request at a
/// time — but HTTP/2 multiplexes up to 100 on one connection, and each can hold an object file and an origin connection:
/// unbounded, a few clients exhaust the process's open files, and .NET aborts a process that has none left. A request
/// beyond the cap is answered 503 <c>SlowDown</c> at once, which S3 and COS clients retry with back-off.
/// </summary>
internal sealed class RequestAdmission(LimitsOptions limits, IOptions<KestrelServerOptions> kestrel)
{
    private readonly long _max = limits.MaxConcurrentRequests ?? kestrel.Value.Limits.MaxConcurrentConnections ?? long.MaxValue;
    private long _inFlight;

    /// <summary>Takes a place; false when every place is taken. A place taken is given back with <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) <= _max)
        {
            return true;
        }
        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);
}
