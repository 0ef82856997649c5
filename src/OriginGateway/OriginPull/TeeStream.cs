using OriginGateway.Dependencies;
using OriginGateway.Storage;

namespace OriginGateway.OriginPull;

/// <summary>
/// A response body that counts what reaches the client and, given a store write session, also writes
/// every byte into it (the Proxy action's tee).
/// </summary>
internal sealed class TeeStream(Stream inner, ObjectWriteSession? session) : Stream
{
    public Stream Inner { get; } = inner;

    /// <summary>The bytes written to the client.</summary>
    public long Written { get; private set; }

    /// <summary>True once a write to the store failed; the client stream goes on, the copy is dropped.</summary>
    public bool Failed { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Written += buffer.Length;
        if (session is not null && !Failed)
        {
            // The forwarding connections' reads complete on the socket engine's event thread; a store write does not run there.
            await EventThreads.Leave();
            try
            {
                await session.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                Failed = true;
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    public override void Flush() => Inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
