using System.Net.Sockets;
using System.Runtime.CompilerServices;
using OriginGateway.Dependencies;

namespace OriginGateway.Egress;

/// <summary>
/// The stream of a connection the gateway opens itself (origins, callbacks, sync sources, the S3 object store): a
/// <see cref="NetworkStream"/> whose reads and writes, when they had to wait, go on on the thread pool.
/// </summary>
/// <remarks>
/// With the runtime's inline socket completions the code after a read would otherwise run on the socket engine's event
/// thread (<see cref="EventThreads"/>): a fill's staging write and hashing, a task's database updates, a commit. Without
/// them a read that waited completes on the pool already, and nothing is added. The Proxy action's forwarding connections
/// are the one exception (<paramref name="leaveEventThread"/> false): after their reads the body pump moves the bytes into the
/// client's response, and the action leaves the event thread itself before any store work (<c>ProxyAction</c>).
/// </remarks>
internal sealed class OutgoingStream(Socket socket, bool leaveEventThread = true) : NetworkStream(socket, ownsSocket: true)
{
    private readonly bool _leave = leaveEventThread && EventThreads.InlineCompletions;

    /// <summary>Connects to the first of <paramref name="addresses"/> that answers on <paramref name="port"/>, in turn; returns the connection's stream.</summary>
    public static ValueTask<Stream> ConnectAsync(IReadOnlyList<System.Net.IPAddress> addresses, int port, CancellationToken cancellationToken) =>
        ConnectAsync(addresses, port, leaveEventThread: true, cancellationToken);

    /// <summary>As above; with <paramref name="leaveEventThread"/> false the code after the connection's reads and writes goes on where they completed.</summary>
    public static async ValueTask<Stream> ConnectAsync(IReadOnlyList<System.Net.IPAddress> addresses, int port, bool leaveEventThread, CancellationToken cancellationToken)
    {
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(address, port, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
                continue;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            // The request is written by whoever goes on from here.
            if (leaveEventThread)
            {
                await EventThreads.Leave();
            }
            return new OutgoingStream(socket, leaveEventThread);
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = base.ReadAsync(buffer, cancellationToken);
        return read.IsCompleted || !_leave ? read : ContinueOnPoolAsync(read);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var write = base.WriteAsync(buffer, cancellationToken);
        return write.IsCompleted || !_leave ? write : ContinueOnPoolAsync(write);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<int> ContinueOnPoolAsync(ValueTask<int> read)
    {
        var count = await read.ConfigureAwait(false);
        await EventThreads.Leave();
        return count;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal static async ValueTask ContinueOnPoolAsync(ValueTask write)
    {
        await write.ConfigureAwait(false);
        await EventThreads.Leave();
    }
}
