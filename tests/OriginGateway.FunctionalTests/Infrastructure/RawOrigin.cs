using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// An origin on a raw socket, for answers whose HTTP framing must be wrong (truncated bodies,
/// lying or duplicate Content-Length, Content-Length with Transfer-Encoding, resets, stalls).
/// Each request path is scripted with a function that writes whatever bytes it likes.
/// </summary>
public sealed class RawOrigin : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, Func<NetworkStream, Task>> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public RawOrigin()
    {
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void On(string path, Func<NetworkStream, Task> script) => _routes[path] = script;

    /// <summary>Writes <paramref name="head"/> (status line and headers, CRLF-separated) and <paramref name="body"/>, then closes.</summary>
    public void Reply(string path, string head, byte[] body, bool closeAbruptly = false) => On(path, async stream =>
    {
        await stream.WriteAsync(Head(head));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
        if (closeAbruptly)
        {
            stream.Socket.LingerState = new LingerOption(true, 0);
        }
    });

    /// <summary>
    /// Writes <paramref name="head"/>, then each piece after <paramref name="gap"/>, from a thread of its own: the gaps stay as
    /// long as asked while the test process's thread pool is busy — a slow but honest origin must not turn into a stalled one.
    /// </summary>
    public void Paced(string path, string head, IEnumerable<byte[]> pieces, TimeSpan gap) => On(path, stream => Task.Factory.StartNew(() =>
    {
        stream.Write(Head(head));
        foreach (var piece in pieces)
        {
            Thread.Sleep(gap);
            stream.Write(piece);
            stream.Flush();
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));

    public int Count(string path) => _counts.GetValueOrDefault(path);

    /// <summary>A status line and headers written with LF, as bytes on the wire: CRLF-separated, ending in an empty line.</summary>
    private static byte[] Head(string head) => Encoding.ASCII.GetBytes(head.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n\r\n");

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer) == 1)
                {
                    head.Append((char)buffer[0]);
                }
                var path = head.ToString().Split(' ')[1].Split('?')[0];
                _counts.AddOrUpdate(path, 1, (_, n) => n + 1);
                if (_routes.TryGetValue(path, out var script))
                {
                    await script(stream);
                }
                else
                {
                    await stream.WriteAsync("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                }
            }
            catch (IOException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
