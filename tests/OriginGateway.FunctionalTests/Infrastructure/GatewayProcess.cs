using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// The real gateway as a child process (<c>dotnet OriginGateway.dll</c>), listening on free
/// loopback ports, with its own data directory. Killed by process id when disposed.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    public const string DevSecretId = "AKIDORIGINGATEWAYDEV";
    public const string DevSecretKey = "origin-gateway-development-secret";
    public const string DefaultBucket = "examplebucket-1250000000";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsDataDirectory;

    private GatewayProcess(Process process, string dataDirectory, bool ownsDataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public string DataDirectory { get; }

    public int ProcessId => _process.Id;

    /// <summary>The process's peak resident set size so far (VmHWM), in bytes.</summary>
    public long PeakRss()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public Uri DataUrl { get; private set; } = null!;

    public Uri ControlUrl { get; private set; } = null!;

    public int DataPort => DataUrl.Port;

    public HttpClient Client { get; } = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });

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

    /// <summary>Starts a gateway and waits until it answers /healthz.</summary>
    /// <param name="settings">Extra <c>--Section:Key=value</c> settings.</param>
    /// <param name="environment">Development (the default, as <c>dotnet run</c>) or Production.</param>
    /// <param name="dataDirectory">Reuse a data directory (restarts); a new one otherwise.</param>
    public static async Task<GatewayProcess> StartAsync(IEnumerable<string>? settings = null, string environment = "Development", string? dataDirectory = null)
    {
        var gateway = Launch(settings, environment, dataDirectory);
        try
        {
            await gateway.WaitUntilListeningAsync().ConfigureAwait(false);
        }
        catch
        {
            await gateway.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return gateway;
    }

    /// <summary>Starts a gateway that is expected to stop by itself; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IEnumerable<string> arguments, string environment = "Development")
    {
        await using var gateway = Launch(arguments, environment, null, addEndpoints: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await gateway._process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        gateway._process.WaitForExit();
        return (gateway._process.ExitCode, gateway.Output);
    }

    private static GatewayProcess Launch(IEnumerable<string>? arguments, string environment, string? dataDirectory, bool addEndpoints = true)
    {
        if (!File.Exists(TestPaths.GatewayDll))
        {
            throw new InvalidOperationException($"The gateway is not built at {TestPaths.GatewayDll}; run the README's test command.");
        }
        var owns = dataDirectory is null;
        dataDirectory ??= TestPaths.NewTempDirectory("og-data");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        start.ArgumentList.Add(TestPaths.GatewayDll);
        foreach (var argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }
        if (addEndpoints)
        {
            start.ArgumentList.Add("--Endpoints:Data=http://127.0.0.1:0");
            start.ArgumentList.Add("--Endpoints:Control=http://127.0.0.1:0");
            start.ArgumentList.Add($"--DataDirectory={dataDirectory}");
        }
        start.Environment["DOTNET_ENVIRONMENT"] = environment;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment.Remove("ASPNETCORE_URLS");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(process, dataDirectory, owns);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with {_process.ExitCode}:\n{Output}");
            }
            var output = Output;
            var data = DataLine().Match(output);
            var control = ControlLine().Match(output);
            if (data.Success && control.Success)
            {
                DataUrl = new Uri(data.Groups[1].Value + "/");
                ControlUrl = new Uri(control.Groups[1].Value + "/");
                Client.BaseAddress = DataUrl;
                var health = await Client.GetAsync(new Uri(ControlUrl, "healthz")).ConfigureAwait(false);
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        throw new TimeoutException($"The gateway did not start within 60 s:\n{Output}");
    }

    /// <summary>Stops the process (kill by id) and keeps the data directory for a restart.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        Client.Dispose();
        _process.Dispose();
        if (_ownsDataDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [GeneratedRegex(@"data endpoint:\s+(http://\S+)")]
    private static partial Regex DataLine();

    [GeneratedRegex(@"control endpoint:\s+(http://\S+)")]
    private static partial Regex ControlLine();
}
