using Microsoft.AspNetCore.Http;
using OriginGateway.Dependencies;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.OriginPull;

/// <summary>
/// An origin's body on its way to a client — a Proxy answer, a Mirror answer that is not stored — read by the body pump
/// straight into the client's response: no buffer of its own, no copy between the origin's socket and the response
/// pipe. Every read waits at most the idle timeout (<c>OriginPull:BodyIdleTimeout</c>); given a store write session,
/// every byte read is also written into it (the Proxy's tee) before the client is sent it.
/// </summary>
internal sealed class ForwardedBody(Stream origin, ObjectWriteSession? session, TimeSpan idleTimeout) : IBodySource, IDisposable
{
    /// <summary>The largest piece of a forwarded body read into the client's response at once.</summary>
    private const int ChunkSize = 64 * 1024;

    private CancellationTokenSource? _idle;

    /// <summary>
    /// Sends an origin answer's body to the client (and, given a session, into the store) to its declared length or, with
    /// none, to its end; returns the bytes sent and, when the body did not reach the client whole, why
    /// (<c>Truncated</c>, <c>OriginTimeout</c>, <c>ClientGone</c>), and whether the store's copy failed. The copy ends when
    /// the client leaves (<see cref="HttpContext.RequestAborted"/>).
    /// </summary>
    public static async Task<(long Sent, string? Failure, bool StoreFailed)> SendAsync(HttpContext context, HttpResponseMessage response,
        ObjectWriteSession? session, TimeSpan idleTimeout)
    {
        var length = response.Content.Headers.ContentLength;
        await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
        using var body = new ForwardedBody(stream, session, idleTimeout);
        var sent = await BodyPump.CopyAsync(context, body, 0, length ?? BodyPump.Open, ChunkSize).ConfigureAwait(false);
        var failure = body.Failure.Length > 0 ? body.Failure
            : (length is { } declared ? sent != declared : !body.Ended) ? OriginFailure.ClientGone
            : null;
        return (sent, failure, body.StoreFailed);
    }

    /// <summary>Why the origin's body broke (<c>Truncated</c>, <c>OriginTimeout</c>); empty while it did not.</summary>
    public string Failure { get; private set; } = "";

    /// <summary>Whether the origin's body reached its end.</summary>
    public bool Ended { get; private set; }

    /// <summary>True once a write to the store failed; the client's copy goes on, the store's is dropped.</summary>
    public bool StoreFailed { get; private set; }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
    {
        // The idle clock runs only while a read waits: a client slow to take the last chunk is not the origin's stall.
        if (_idle is null || !_idle.TryReset())
        {
            _idle?.Dispose();
            _idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }
        _idle.CancelAfter(idleTimeout);
        int read;
        try
        {
            read = await origin.ReadAsync(buffer, _idle.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (OriginBodyCopy.ReadFailure(e, cancellationToken) is { } why)
        {
            Failure = why;
            return -1;
        }
        if (read == 0)
        {
            Ended = true;
            return 0;
        }
        if (session is not null && !StoreFailed)
        {
            // The forwarding connections' reads complete on the socket engine's event thread; a store write does not run there.
            await EventThreads.Leave();
            try
            {
                await session.WriteAsync(buffer[..read], cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                StoreFailed = true;
            }
        }
        return read;
    }

    public void Dispose() => _idle?.Dispose();
}
