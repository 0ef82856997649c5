using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A TCP relay in front of an origin that plays a network failure mid-answer: a connection given a cut relays that many
/// bytes of the origin's answer and is then reset (RST) on both sides, as a broken link or a restarted middlebox does.
/// Connections take the cuts queued with <see cref="CutNext"/> in order; the others are relayed whole.
/// </summary>
public sealed class CuttingRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<(long After, Func<Task>? Before)> _cuts = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly int _upstreamPort;
    private int _connections;

    public CuttingRelay(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections relayed so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The next connection is reset after <paramref name="afterBytes"/> bytes of answer, <paramref name="before"/> run first.</summary>
    public void CutNext(long afterBytes, Func<Task>? before = null) => _cuts.Enqueue((afterBytes, before));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = RelayAsync(client, _cuts.TryDequeue(out var cut) ? cut : null);
        }
    }

    private async Task RelayAsync(Socket client, (long After, Func<Task>? Before)? cut)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (client)
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
                _ = PumpAsync(client, upstream, long.MaxValue);
                var relayed = await PumpAsync(upstream, client, cut?.After ?? long.MaxValue);
                if (cut is { } c && relayed >= c.After)
                {
                    if (c.Before is not null)
                    {
                        await c.Before();
                    }
                    client.LingerState = new LingerOption(true, 0);
                    upstream.LingerState = new LingerOption(true, 0);
                    return;
                }
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Copies until the source ends or <paramref name="limit"/> bytes went through; returns the bytes copied.</summary>
    private async Task<long> PumpAsync(Socket from, Socket to, long limit)
    {
        var buffer = new byte[16 * 1024];
        long copied = 0;
        try
        {
            while (copied < limit)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - copied)), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    break;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                copied += read;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        return copied;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
