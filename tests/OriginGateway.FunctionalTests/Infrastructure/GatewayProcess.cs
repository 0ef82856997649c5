using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// The real gateway as a child process (<c>dotnet OriginGateway.dll</c>, or the natively compiled one:
/// <see cref="TestPaths.NativeGateway"/>), listening on free
/// loopback ports, with its own data directory. Killed by process id when disposed.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    public const string DevSecretId = "AKIDORIGINGATEWAYDEV";
    public const string DevSecretKey = "origin-gateway-development-secret";
    public const string DefaultBucket = "examplebucket-1250000000";

    /// <summary>
    /// The environment of an AWS CLI (or boto3) run against a gateway: the development credential (or another secret), no
    /// configuration or credential files, no instance-metadata lookups, no pager.
    /// </summary>
    public static Dictionary<string, string> AwsEnvironment(string secret = DevSecretKey) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = DevSecretId,
        ["AWS_SECRET_ACCESS_KEY"] = secret,
        ["AWS_DEFAULT_REGION"] = "us-east-1",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        ["AWS_PAGER"] = "",
    };

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsDataDirectory;

    private GatewayProcess(Process process, string dataDirectory, bool ownsDataDirectory, X509Certificate2? trusted)
    {
        _process = process;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false };
        if (trusted is not null)
        {
            // An https gateway with a test's self-signed certificate: that certificate, and no other.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString();
        }
        Client = new HttpClient(handler);
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

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

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
    /// <param name="trusted">The self-signed certificate of https endpoints, which <see cref="Client"/> then accepts.</param>
    /// <param name="dataDiskBytes">
    /// A disk of this size for the data directory, which can fill up: a tmpfs mounted over it in a mount namespace of
    /// the gateway's own (<c>unshare --mount</c>, root), gone with the process. Only the gateway sees what it holds;
    /// <see cref="InDataDiskAsync"/> runs a command where it is seen.
    /// </param>
    /// <param name="resolvConf">
    /// A resolver configuration of the test's own (its DNS servers) bound over <c>/etc/resolv.conf</c> in a mount namespace of
    /// the gateway's own (<c>unshare --mount</c>, root): only the gateway's name lookups ask them.
    /// </param>
    /// <param name="variables">More environment variables of the gateway's process (<c>SSL_CERT_FILE</c>, say).</param>
    public static async Task<GatewayProcess> StartAsync(IEnumerable<string>? settings = null, string environment = "Development", string? dataDirectory = null, X509Certificate2? trusted = null, long? dataDiskBytes = null, long? openFileLimit = null, long? openFileSoftLimit = null, string? resolvConf = null, IReadOnlyDictionary<string, string>? variables = null)
    {
        var gateway = Launch(settings, environment, dataDirectory, trusted: trusted, dataDiskBytes: dataDiskBytes, openFileLimit: openFileLimit, openFileSoftLimit: openFileSoftLimit, resolvConf: resolvConf, variables: variables);
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
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IEnumerable<string> arguments, string environment = "Development", long? openFileLimit = null)
    {
        await using var gateway = Launch(arguments, environment, null, addEndpoints: false, openFileLimit: openFileLimit);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await gateway._process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        gateway._process.WaitForExit();
        return (gateway._process.ExitCode, gateway.Output);
    }

    private static GatewayProcess Launch(IEnumerable<string>? arguments, string environment, string? dataDirectory, bool addEndpoints = true, X509Certificate2? trusted = null, long? dataDiskBytes = null, long? openFileLimit = null, long? openFileSoftLimit = null, string? resolvConf = null, IReadOnlyDictionary<string, string>? variables = null)
    {
        var given = arguments?.ToList() ?? [];
        var native = TestPaths.NativeGateway;
        if (native is null && !File.Exists(TestPaths.GatewayDll))
        {
            throw new InvalidOperationException($"The gateway is not built at {TestPaths.GatewayDll}; run the README's test command.");
        }
        var owns = dataDirectory is null;
        dataDirectory ??= TestPaths.NewTempDirectory("og-data");
        var start = new ProcessStartInfo(native ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        if (native is null)
        {
            start.ArgumentList.Add(TestPaths.GatewayDll);
        }
        foreach (var argument in given)
        {
            start.ArgumentList.Add(argument);
        }
        if (addEndpoints)
        {
            // Free loopback ports unless the test names its own endpoints (https ones, say).
            foreach (var setting in new[] { "--Endpoints:Data=http://127.0.0.1:0", "--Endpoints:Control=http://127.0.0.1:0", $"--DataDirectory={dataDirectory}" })
            {
                if (!given.Any(a => a.StartsWith(setting[..(setting.IndexOf('=', StringComparison.Ordinal) + 1)], StringComparison.Ordinal)))
                {
                    start.ArgumentList.Add(setting);
                }
            }
        }
        if (dataDiskBytes is { } size)
        {
            // unshare executes sh in the new namespace and sh executes the gateway: one process, the one killed by id.
            RunUnder(start, ExternalTool.Require("unshare", "util-linux"), "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=\"$1\" tmpfs \"$0\" && cd \"$0\" && shift && exec \"$@\"", dataDirectory, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (resolvConf is not null)
        {
            // As above: sh binds the file over the system's resolver configuration, then executes the gateway.
            RunUnder(start, ExternalTool.Require("unshare", "util-linux"), "--mount", "--propagation", "private", "sh", "-c", "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", resolvConf);
        }
        if (openFileLimit is { } files)
        {
            // prlimit sets the limit (hard, and soft unless given apart) and executes the gateway: still one process, the one killed by id.
            RunUnder(start, ExternalTool.Require("prlimit", "util-linux"), FormattableString.Invariant($"--nofile={openFileSoftLimit ?? files}:{files}"), "--");
        }
        start.Environment["DOTNET_ENVIRONMENT"] = environment;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(process, dataDirectory, owns, trusted);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    /// <summary>Makes <paramref name="start"/> run its program through <paramref name="tool"/> (which executes it), after the tool's own arguments.</summary>
    private static void RunUnder(ProcessStartInfo start, string tool, params string[] toolArguments)
    {
        var program = new List<string> { start.FileName };
        program.AddRange(start.ArgumentList);
        start.FileName = tool;
        start.ArgumentList.Clear();
        foreach (var argument in toolArguments.Concat(program))
        {
            start.ArgumentList.Add(argument);
        }
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

    /// <summary>Runs a command in the gateway's mount namespace (where its own data disk is seen); its exit code and output.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> InDataDiskAsync(params string[] command) =>
        ExternalTool.RunAsync(ExternalTool.Require("nsenter", "util-linux"), ["--target", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mount", .. command]);

    /// <summary>Waits (up to <paramref name="timeout"/>) until the output contains <paramref name="text"/>; the gateway flushes its log every 100 ms.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Sends SIGTERM (by process id) and waits for the exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        return _process.ExitCode;
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

    [GeneratedRegex(@"data endpoint:\s+(https?://\S+)")]
    private static partial Regex DataLine();

    [GeneratedRegex(@"control endpoint:\s+(https?://\S+)")]
    private static partial Regex ControlLine();
}
