using OriginGateway.Dependencies;
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
    private CancellationTokenSource? _idle;

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
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Failure = "OriginTimeout";
            return -1;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The connection closed or broke before the end of a delimited body.
            Failure = "Truncated";
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
