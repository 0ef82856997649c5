using System.Diagnostics;
using System.Globalization;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real nginx (apt <c>nginx</c>, installed by the test command) serving a directory as an origin — its own answers to
/// Range, If-Match and ETag, which no test double of ours decides. A child process on a free loopback port that closes
/// every connection after its answer (so each origin request is a connection of its own), logging each request's path,
/// Range, If-Match, status and bytes sent. Killed by process id when disposed.
/// </summary>
public sealed class NginxOrigin : IAsyncDisposable
{
    private readonly string _directory;
    private readonly ChildProcess _process;

    private NginxOrigin(string directory, int port, ChildProcess process)
    {
        _directory = directory;
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>The directory served at /.</summary>
    public string Root => Path.Combine(_directory, "www");

    public static async Task<NginxOrigin> StartAsync()
    {
        var nginx = ExternalTool.RequireAt("/usr/sbin/nginx", "nginx");
        var directory = Directory.CreateTempSubdirectory("og-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(directory, "www"));
        Directory.CreateDirectory(Path.Combine(directory, "tmp"));
        var port = TestPorts.Free();
        var temp = Path.Combine(directory, "tmp");
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log stderr warn;
            events { worker_connections 256; }
            http {
                log_format origin escape=none '$request_method|$uri|$http_range|$http_if_match|$status|$body_bytes_sent';
                access_log {{directory}}/access.log origin;
                client_body_temp_path {{temp}}; proxy_temp_path {{temp}}; fastcgi_temp_path {{temp}}; uwsgi_temp_path {{temp}}; scgi_temp_path {{temp}};
                keepalive_timeout 0;
                server {
                    listen 127.0.0.1:{{port}};
                    root {{directory}}/www;
                }
            }
            """);
        var process = ChildProcess.Start(new ProcessStartInfo(nginx) { ArgumentList = { "-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-e", "stderr" } });
        try
        {
            await process.WaitForPortAsync(port, "nginx");
        }
        catch (InvalidOperationException)
        {
            await process.DisposeAsync();
            throw;
        }
        return new NginxOrigin(directory, port, process);
    }

    /// <summary>Writes a file under the served directory (atomically: a new inode, a new ETag).</summary>
    public void Write(string path, byte[] content)
    {
        var file = Path.Combine(Root, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file + ".new", content);
        File.Move(file + ".new", file, overwrite: true);
    }

    /// <summary>One logged request.</summary>
    public sealed record Logged(string Path, string Range, string IfMatch, int Status, long BytesSent);

    /// <summary>The GETs nginx logged for <paramref name="path"/>, in order.</summary>
    public IReadOnlyList<Logged> Requests(string path)
    {
        var log = Path.Combine(_directory, "access.log");
        if (!File.Exists(log))
        {
            return [];
        }
        using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|'))
            .Where(f => f[0] == "GET" && f[1] == path)
            .Select(f => new Logged(f[1], f[2] == "-" ? "" : f[2], f[3] == "-" ? "" : f[3], int.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>
    /// The GETs logged for <paramref name="path"/> once there are at least <paramref name="count"/> (up to 5 s: nginx logs a
    /// request when it ends, and a cut one ends when nginx notices the reset).
    /// </summary>
    public async Task<IReadOnlyList<Logged>> RequestsAsync(string path, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Requests(path) is var logged && logged.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        return Requests(path);
    }

    /// <summary>The ETag nginx gives the file now (its own strong validator, from a HEAD).</summary>
    public async Task<string> ETagAsync(string path)
    {
        using var client = new HttpClient();
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"http://{Host}{path}"));
        return head.Headers.ETag?.ToString() ?? throw new InvalidOperationException("nginx sent no ETag for " + path);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
