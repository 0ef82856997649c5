using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real S3-compatible server (<c>@20minutes/s3rver</c>, installed by the test command's
/// <c>npm ci</c>) as a child process on a free loopback port, killed by process id when disposed.
/// s3rver accepts the access key <c>S3RVER</c> with the secret <c>S3RVER</c>.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly string _directory;
    private readonly string[] _buckets;
    private Process _process;

    private S3Server(Process process, string directory, int port, string[] buckets)
    {
        _process = process;
        _directory = directory;
        _buckets = buckets;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The settings that put the default bucket of a gateway on <paramref name="s3"/> (none: the filesystem store).</summary>
    public static string[] GatewaySettings(S3Server? s3, string bucket = "gateway") => s3 is null ? [] :
    [
        "--Buckets:0:Storage:Kind=S3", $"--Buckets:0:Storage:ServiceUrl={s3.Endpoint}", $"--Buckets:0:Storage:BucketName={bucket}",
        $"--Buckets:0:Storage:AccessKey={AccessKey}", $"--Buckets:0:Storage:SecretKey={SecretKey}",
    ];

    /// <summary>
    /// The multipart uploads s3rver holds open in a bucket, read from its directory (s3rver does not
    /// implement ListMultipartUploads): one directory per upload id.
    /// </summary>
    public IReadOnlyList<string> OpenMultipartUploads(string bucket)
    {
        var uploads = Path.Combine(_directory, bucket, "._S3rver_uploads");
        return Directory.Exists(uploads) ? Directory.GetDirectories(uploads).Select(d => Path.GetFileName(d)).ToList() : [];
    }

    public static Task<S3Server> StartAsync(params string[] buckets) => StartOnAsync(TestPaths.NewTempDirectory("og-s3rver"), buckets);

    /// <summary>A server that keeps its data in <paramref name="directory"/> (a small disk of its own, to fill).</summary>
    public static async Task<S3Server> StartOnAsync(string directory, params string[] buckets)
    {
        var (process, port) = await LaunchAsync(directory, buckets, port: 0);
        return new S3Server(process, directory, port, buckets);
    }

    /// <summary>Kills the server (SIGKILL), as a crash would: open connections are cut.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port over the same data.</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        (_process, _) = await LaunchAsync(_directory, _buckets, Port);
    }

    private static async Task<(Process Process, int Port)> LaunchAsync(string directory, string[] buckets, int port)
    {
        NodeScript.RequirePackage("@20minutes/s3rver");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = NodeScript.Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("s3rver.js");
        start.Environment["S3RVER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.ArgumentList.Add(directory);
        foreach (var bucket in buckets)
        {
            start.ArgumentList.Add(bucket);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node s3rver.js");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("port ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"s3rver did not start: {line} {await process.StandardError.ReadToEndAsync()}");
        }
        return (process, int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public AmazonS3Client Client() => new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public async Task PutAsync(string bucket, string key, byte[] body)
    {
        using var client = Client();
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body), UseChunkEncoding = false });
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a hung host.</summary>
    public Task FreezeAsync() => ExternalTool.SignalAsync(_process.Id, "-STOP");

    /// <summary>Lets a frozen server run again (SIGCONT).</summary>
    public Task ThawAsync() => ExternalTool.SignalAsync(_process.Id, "-CONT");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await ThawAsync();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
