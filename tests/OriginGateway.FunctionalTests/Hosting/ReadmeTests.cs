using System.Text.RegularExpressions;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>A copy of the repository shared by the README scenarios (they run one after another).</summary>
public sealed class ReadmeCopy : IAsyncLifetime
{
    public string Root { get; private set; } = "";

    public async Task InitializeAsync() => Root = await Readme.CopyRepositoryAsync();

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Every command block of README.md, run literally — <c>dotnet run</c>, the signed curl commands,
/// presign, the CLI, the SDK snippets, the sample scripts and their walkthroughs — in a copy of the
/// repository, on the ports the README names, and checked against what the text next to it promises.
/// </summary>
public sealed class ReadmeTests(ReadmeCopy copy) : IClassFixture<ReadmeCopy>
{
    /// <summary>Blocks no test runs, and why.</summary>
    private static readonly Dictionary<string, string> NotRun = new()
    {
        ["test"] = "it is the test command itself (CI runs it)",
        ["docker"] = "no Docker engine runs on the build machines; DockerfileTests runs the Dockerfile's publish and starts its output as the image does",
    };

    /// <summary>Blocks run here, and "alerts", which <c>Observability/AlertRulesTests</c> runs.</summary>
    private static readonly string[] Run =
        ["serve", "try-it", "cos-sdk", "curl", "s3-clients", "vod-sdk", "cli", "cli-serve", "wiremock-serve", "walkthrough", "replicas-serve", "replicas", "alerts"];

    [Fact]
    public void EveryCommandBlock_IsNamed_AndEitherRunHere_OrSaysWhyNot()
    {
        var names = Readme.Blocks().Select(b => b.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(Run.Concat(NotRun.Keys).Order(), names.Order());
    }

    [Fact]
    public async Task QuickStart_CurlSection_Sdks_AndCli_RunVerbatim()
    {
        NodeScript.RequirePackage("cos-nodejs-sdk-v5");
        NodeScript.RequirePackage("tencentcloud-sdk-nodejs-vod");
        var run = await Readme.RunAsync(copy.Root, "serve", "http://127.0.0.1:8081/readyz", ["try-it", "cos-sdk", "curl", "s3-clients", "vod-sdk", "cli"], [8080, 8081]);

        // Quick start: a miss, readiness, the rule file validated from the repository root, a signed PUT, a hit.
        var tryIt = run.Output("try-it");
        Assert.Matches(@"(?m)^HTTP/1\.1 404", tryIt);
        Assert.Contains("<Code>NoSuchKey</Code>", tryIt, StringComparison.Ordinal);
        Assert.Matches("(?im)^x-origin-action: miss", tryIt);
        Assert.Contains("Healthy", tryIt, StringComparison.Ordinal);
        Assert.Contains("mixed.xml: valid, 4 rule(s).", tryIt, StringComparison.Ordinal);
        Assert.EndsWith("hello", tryIt.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("OriginGateway is running (Development).", run.ServerLog, StringComparison.Ordinal);
        Assert.Contains("/admin", run.ServerLog, StringComparison.Ordinal);
        Assert.Contains("/metrics", run.ServerLog, StringComparison.Ordinal);

        Assert.Contains("statusCode: 200", run.Output("cos-sdk"), StringComparison.Ordinal);

        // The curl section: each command does what its comment says.
        var curl = run.Output("curl");
        Assert.Matches(@"(?m)^HTTP/1\.1 200", curl);
        Assert.Contains("<Key>docs/a.txt</Key>", curl, StringComparison.Ordinal);
        Assert.Matches("\"action\":\\s*\"mirror\"", curl);
        Assert.Contains("<Code>AccessForbidden</Code>", curl, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^hello", curl);
        Assert.Matches("\"taskid\":\"[A-Za-z0-9_-]{22}\"", curl);

        // The S3 clients: the buckets listed, the README copied up with metadata that comes back, listed and read back
        // through a presigned URL (SigV4 from AWS CLI v2, SigV2 from v1: a signature present is always checked); boto3 reads
        // a range of it; the JavaScript SDK's stream upload is stored as its object; rclone's second sync copies nothing;
        // s3cmd lists both objects.
        var s3 = run.Output("s3-clients");
        Assert.Contains("examplebucket-1250000000", s3, StringComparison.Ordinal);
        Assert.Contains("upload: ./README.md to s3://examplebucket-1250000000/docs/README.md", s3, StringComparison.Ordinal);
        Assert.Matches("\"color\":\\s*\"blue\"", s3);
        Assert.Matches(@"(?m)^\S+ \S+ +\d+ README\.md$", s3);
        Assert.Contains("# OriginGateway", s3, StringComparison.Ordinal);
        Assert.Contains("b'# OriginGateway'", s3, StringComparison.Ordinal);
        Assert.Matches("(?m)^streamed by js$", s3);
        Assert.Matches(@"(?m)^Checks:\s+\d+ / \d+, 100%", s3);
        Assert.DoesNotContain("Copied", s3, StringComparison.Ordinal);
        Assert.Matches(@"(?m)\s14\s+s3://examplebucket-1250000000/docs/js\.txt$", s3);

        Assert.Matches(@"^[0-9a-zA-Z_-]+ (WAITING|PROCESSING|FINISH)\s*$", run.Output("vod-sdk"));

        var cli = run.Output("cli");
        Assert.Contains("mixed.xml: valid, 4 rule(s).", cli, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9002", cli, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9001", cli, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^http://127\.0\.0\.1:8080/hello\.txt\?.*q-signature=", cli);
        Assert.Contains("NoSuchTask", cli, StringComparison.Ordinal);
        Assert.Contains("exit code 1", cli, StringComparison.Ordinal);
        Assert.Empty(run.PortsLeftOpen);

        // The settings example: both endpoints where it says, the data directory where the caller is.
        var serve = await Readme.RunAsync(copy.Root, "cli-serve", "http://127.0.0.1:8081/readyz", [], [9000, 8081],
            ["curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9000/nothing-here.txt", "test -f og-data/control.db && echo data-directory-here"]);
        Assert.Equal("404", serve.Output("harness-0").Trim());
        Assert.Contains("data-directory-here", serve.Output("harness-1"), StringComparison.Ordinal);
        Assert.Empty(serve.PortsLeftOpen);
    }

    [Fact]
    public async Task WireMockWalkthrough_RunsVerbatim_AgainstTheSampleScript()
    {
        var run = await Readme.RunAsync(copy.Root, "wiremock-serve", "Ready:", ["walkthrough"], [8080, 8081, 9001, 9002]);

        var output = run.Output("walkthrough");
        Assert.Matches(@"(?im)^HTTP/1\.1 301", output);
        Assert.Contains("location: https://old-site.example.com/legacy/about.html", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":\"live\"", output, StringComparison.Ordinal);
        var actions = Regex.Matches(output, @"(?im)^x-origin-action: (\w+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("redirect", actions);
        Assert.Equal(["mirror", "hit"], actions.Where(a => a is "mirror" or "hit").Take(2));
        Assert.Contains("month,visits", output, StringComparison.Ordinal);
        Assert.Contains("TASK_SUCCESS", output, StringComparison.Ordinal);
        Assert.Contains("An archive the fetch task pulls into the bucket.", output, StringComparison.Ordinal);
        Assert.Matches("origin_gateway_requests_total\\{action=\"mirror\",bucket=\"examplebucket-1250000000\",status=\"200\"\\} [1-9]", output);
        Assert.Matches("origin_gateway_origin_failovers_total\\{host=\"127\\.0\\.0\\.1:9002\"\\} 1", output);
        // Ctrl-C (SIGTERM here) stops all three.
        Assert.Empty(run.PortsLeftOpen);
    }

    [Fact]
    public async Task SeveralReplicas_RunVerbatim_AgainstTheSampleScript()
    {
        NodeScript.RequirePackage("@20minutes/s3rver");
        ExternalTool.Require("redis-server", "redis-server");
        var run = await Readme.RunAsync(copy.Root, "replicas-serve", "Ready", ["replicas"], [8080, 8081, 8090, 8091, 5439, 6390, 9009]);

        var output = run.Output("replicas");
        var lines = output.Split('\n');
        Assert.Equal("written through B", lines[0]);
        // B explains the key with the rule put through A: Mirror to the sample's origin.
        Assert.Matches("\"action\":\\s*\"mirror\"", output);
        Assert.Contains("http://127.0.0.1:9001/images/logo.png", output, StringComparison.Ordinal);
        Assert.Equal(2, lines.Count(l => l == "Healthy"));
        Assert.Empty(run.PortsLeftOpen);
    }
}
