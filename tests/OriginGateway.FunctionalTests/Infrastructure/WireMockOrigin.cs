using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// WireMock standalone (npm <c>wiremock</c>, Java 17) as a real origin on 127.0.0.1, driven
/// through its admin API. Killed by process id when disposed.
/// </summary>
public sealed partial class WireMockOrigin : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _root;
    private readonly HttpClient _admin = new(new SocketsHttpHandler { UseProxy = false });

    private WireMockOrigin(Process process, string root, int port)
    {
        _process = process;
        _root = root;
        Port = port;
        _admin.BaseAddress = new Uri($"http://127.0.0.1:{port}/__admin/");
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    public static async Task<WireMockOrigin> StartAsync()
    {
        var jar = Path.Combine(NodeScript.Directory, "node_modules", "wiremock", "build", "wiremock-standalone-3.13.2.jar");
        if (!File.Exists(jar))
        {
            throw new InvalidOperationException($"WireMock is not installed ({jar}). Run the README's test command (./test.sh), which runs 'npm ci' in tests/node.");
        }
        var root = TestPaths.NewTempDirectory("og-wiremock");
        var start = new ProcessStartInfo("java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-jar", jar, "--port", "0", "--bind-address", "127.0.0.1", "--disable-banner", "--root-dir", root })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start java (install openjdk-17-jre-headless)");
        var port = new TaskCompletionSource<int>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && PortLine().Match(e.Data) is { Success: true } match)
            {
                port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            return new WireMockOrigin(process, root, await port.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>Adds a stub mapping (WireMock JSON).</summary>
    public async Task MapAsync(object mapping)
    {
        using var response = await _admin.PostAsJsonAsync("mappings", mapping);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>How many requests WireMock received for a method and URL.</summary>
    public async Task<int> CountAsync(string method, string url)
    {
        using var response = await _admin.PostAsJsonAsync("requests/count", new { method, url });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("count").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _admin.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"port:\s+(\d+)")]
    private static partial Regex PortLine();
}
