using System.Diagnostics;
using System.Text;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A program a test starts besides the gateway (Prometheus, a published gateway, a sample script): its
/// output captured line by line, and the whole process tree killed by process id when disposed.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process) => Process = process;

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="start">What to run; its output is redirected here.</param>
    /// <param name="onLine">Called with every line of output (standard output and error).</param>
    public static ChildProcess Start(ProcessStartInfo start, Action<string>? onLine = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var child = new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName));
        void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (child._output)
            {
                child._output.AppendLine(line);
            }
            onLine?.Invoke(line);
        }
        child.Process.OutputDataReceived += (_, e) => Append(e.Data);
        child.Process.ErrorDataReceived += (_, e) => Append(e.Data);
        child.Process.BeginOutputReadLine();
        child.Process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits (up to 10 s) until the program accepts connections on <paramref name="port"/>; fails loudly, with its output, if it exits or never does.</summary>
    public async Task WaitForPortAsync(int port, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline && !Process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (System.Net.Sockets.SocketException)
            {
                throw new InvalidOperationException(what + " did not start: " + Output);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }
        await Process.WaitForExitAsync().ConfigureAwait(false);
        Process.Dispose();
    }
}
