using System.Net;
using System.Net.Sockets;
using OriginGateway.Egress;

namespace OriginGateway.Tests.Egress;

/// <summary>
/// The outgoing connections' stream: what it reads and writes, and that code after a read or write that completed on a
/// thread outside the pool (the socket engine's event thread, with inline completions) goes on on the pool.
/// </summary>
public sealed class OutgoingStreamTests
{
    [Fact]
    public async Task AReadCompletedOutsideThePool_GoesOnOnThePool()
    {
        // A task source without asynchronous continuations runs what awaits it on the thread that completes it, as the
        // socket engine's event thread does with inline completions.
        var completion = new TaskCompletionSource<int>();
        var after = ObserveAsync(OutgoingStream.ContinueOnPoolAsync(new ValueTask<int>(completion.Task)));
        var eventThread = new Thread(() => completion.SetResult(7)) { IsBackground = true };
        eventThread.Start();
        eventThread.Join();
        var (count, onPool, threadId) = await after;
        Assert.Equal(7, count);
        Assert.True(onPool);
        Assert.NotEqual(eventThread.ManagedThreadId, threadId);

        static async Task<(int, bool, int)> ObserveAsync(ValueTask<int> read)
        {
            var count = await read.ConfigureAwait(false);
            return (count, Thread.CurrentThread.IsThreadPoolThread, Environment.CurrentManagedThreadId);
        }
    }

    [Fact]
    public async Task AWriteCompletedOutsideThePool_GoesOnOnThePool()
    {
        var completion = new TaskCompletionSource();
        var after = ObserveAsync(OutgoingStream.ContinueOnPoolAsync(new ValueTask(completion.Task)));
        var eventThread = new Thread(completion.SetResult) { IsBackground = true };
        eventThread.Start();
        eventThread.Join();
        var (onPool, threadId) = await after;
        Assert.True(onPool);
        Assert.NotEqual(eventThread.ManagedThreadId, threadId);

        static async Task<(bool, int)> ObserveAsync(ValueTask write)
        {
            await write.ConfigureAwait(false);
            return (Thread.CurrentThread.IsThreadPoolThread, Environment.CurrentManagedThreadId);
        }
    }

    [Fact]
    public async Task Connects_ToTheFirstAddressThatAnswers_AndCarriesBytesBothWays()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        // 127.0.0.1 on a port nothing listens on refuses; the listener's address answers.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var refusingPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await Assert.ThrowsAsync<SocketException>(async () => await OutgoingStream.ConnectAsync([IPAddress.Loopback], refusingPort, CancellationToken.None));

        // ::1 refuses (the listener is on 127.0.0.1 only): the next address is tried.
        await using var stream = await OutgoingStream.ConnectAsync([IPAddress.IPv6Loopback, IPAddress.Loopback], port, CancellationToken.None);
        using var accepted = await listener.AcceptSocketAsync();
        await AssertCarriesBytesBothWaysAsync(stream, accepted);
    }

    [Fact]
    public async Task AForwardingConnection_CarriesBytesBothWays()
    {
        // The Proxy action's connections (leaveEventThread: false): the same stream, without the hand-off after a wait.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var stream = await OutgoingStream.ConnectAsync([IPAddress.Loopback], port, leaveEventThread: false, CancellationToken.None);
        using var accepted = await listener.AcceptSocketAsync();
        await AssertCarriesBytesBothWaysAsync(stream, accepted);
    }

    private static async Task AssertCarriesBytesBothWaysAsync(Stream stream, Socket accepted)
    {
        await stream.WriteAsync("ping"u8.ToArray());
        var received = new byte[4];
        Assert.Equal(4, await accepted.ReceiveAsync(received, SocketFlags.None));
        Assert.Equal("ping"u8.ToArray(), received);
        // A read that has to wait for the answer.
        var buffer = new byte[16];
        var reading = stream.ReadAsync(buffer);
        await accepted.SendAsync("pong"u8.ToArray(), SocketFlags.None);
        Assert.Equal(4, await reading);
        Assert.Equal("pong"u8.ToArray(), buffer[..4]);
        accepted.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(buffer));
    }
}
