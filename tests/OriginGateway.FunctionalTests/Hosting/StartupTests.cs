using System.Net;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Hosting;

public sealed class StartupTests
{
    [Fact]
    public async Task OriginFile_IsLoadedAtStart_AndReplacesTheStoredConfiguration()
    {
        var directory = TestPaths.NewTempDirectory("og-rules");
        var file = Path.Combine(directory, "rules.xml");
        await File.WriteAllTextAsync(file, OriginSeed.Example);

        await using var gateway = await GatewayProcess.StartAsync([$"--Buckets:0:OriginFile={file}"]);
        var response = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, "?origin")).Sign());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("examplebucket-1250000000.cos.ap-shanghai.myqcloud.com", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("loaded from " + file, gateway.Output, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task OriginFile_Invalid_StopsStartWithEveryError()
    {
        var directory = TestPaths.NewTempDirectory("og-rules");
        var file = Path.Combine(directory, "bad.xml");
        await File.WriteAllTextAsync(file, "<OriginConfiguration><OriginRule><OriginType>Cache</OriginType></OriginRule></OriginConfiguration>");

        var (exit, output) = await GatewayProcess.RunToExitAsync([$"--Buckets:0:OriginFile={file}", "--Endpoints:Data=http://127.0.0.1:0", "--Endpoints:Control=http://127.0.0.1:0", $"--DataDirectory={directory}"]);

        Assert.Equal(1, exit);
        Assert.Contains("RulePriority is required", output, StringComparison.Ordinal);
        Assert.Contains("OriginInfo is required", output, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData("--Coordination:Provider=Local", "--Coordination:Redis=127.0.0.1:6379", "Coordination:Provider is Local but Coordination:Redis is set")]
    [InlineData("--Coordination:Provider=Redis", "--Coordination:KeyPrefix=og:", "Coordination:Redis is not set although Coordination:Provider is Redis")]
    public async Task Coordination_AProviderThatContradictsTheConnectionString_StopsTheStart(string provider, string other, string message)
    {
        var (exit, output) = await GatewayProcess.RunToExitAsync([provider, other, "--Endpoints:Data=http://127.0.0.1:0", "--Endpoints:Control=http://127.0.0.1:0"]);

        Assert.Equal(2, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOpenFileLimitTooLowToRun_StopsTheStart_NamingTheLimit()
    {
        // With 300 descriptors the runtime itself fails part-way through the start ("Could not load file or assembly"):
        // the gateway says why before it gets there.
        var (exit, output) = await GatewayProcess.RunToExitAsync(["--Endpoints:Data=http://127.0.0.1:0", "--Endpoints:Control=http://127.0.0.1:0"], openFileLimit: 300);

        Assert.Equal(1, exit);
        Assert.Contains("Cannot start: the open-file limit is 300; the gateway needs at least 512", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Could not load", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSoftOpenFileLimit_IsRaisedToTheHardOne_AndTheConnectionCapFollowsIt()
    {
        // A login shell's usual 1024 under a hard limit of 4096: the gateway runs with 4096, natively compiled too
        // (the JIT runtime raises it by itself, a native executable does not).
        await using var gateway = await GatewayProcess.StartAsync(openFileLimit: 4096, openFileSoftLimit: 1024);

        // Logged as the gateway starts, through the logger's queue: it can land after the banner.
        Assert.True(await gateway.WaitForOutputAsync("(open-file limit 4096)", TimeSpan.FromSeconds(10)), gateway.Output);
        var limits = await File.ReadAllTextAsync($"/proc/{gateway.ProcessId}/limits");
        Assert.Matches(@"Max open files\s+4096\s+4096", limits);
    }

    [Fact]
    public async Task Production_WithTheDevelopmentCredential_RefusesToStart()
    {
        var (exit, output) = await GatewayProcess.RunToExitAsync(["--Credentials:0:SecretId=AKIDORIGINGATEWAYDEV", "--Credentials:0:SecretKey=x"], environment: "Production");

        Assert.Equal(2, exit);
        Assert.Contains("Credentials:0:SecretId", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidSettings_ExitNonZero_NamingEachSetting()
    {
        var (exit, output) = await GatewayProcess.RunToExitAsync(["--Endpoints:Data=nonsense", "--DefaultBucket=missing-1", "--Limits:MaxPutSize=0", "--Limits:MaxConcurrentRequests=0", "--OriginPull:MaxBodyResumes=-1"]);

        Assert.Equal(2, exit);
        Assert.Contains("Endpoints:Data", output, StringComparison.Ordinal);
        Assert.Contains("DefaultBucket", output, StringComparison.Ordinal);
        Assert.Contains("Limits:MaxPutSize", output, StringComparison.Ordinal);
        Assert.Contains("Limits:MaxConcurrentRequests must be at least 1", output, StringComparison.Ordinal);
        Assert.Contains("OriginPull:MaxBodyResumes must be 0..20", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_WithoutSettings_ServesNoAnonymousReadsOfThePrivateDefaultBucket()
    {
        await using var gateway = await GatewayProcess.StartAsync(environment: "Production");

        var response = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "anything"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("no credentials are configured", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthAndReadiness_OnTheControlEndpointOnly()
    {
        await using var gateway = await GatewayProcess.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "healthz"))).StatusCode);
        var ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy\nconfiguration: Healthy\ndatabase: Healthy\ndraining: Healthy\nstores: Healthy\n", await ready.Content.ReadAsStringAsync());

        // On the data endpoint these are just keys of the default bucket.
        var onData = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "healthz"));
        Assert.Equal(HttpStatusCode.NotFound, onData.StatusCode);
        Assert.Equal("NoSuchKey", XDocument.Parse(await onData.Content.ReadAsStringAsync()).Root!.Element("Code")!.Value);
    }

    [Fact]
    public async Task NoDefaultBucket_UnknownPath_IsNoSuchBucket()
    {
        await using var gateway = await GatewayProcess.StartAsync(["--DefaultBucket="]);

        var response = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "somewhere/key"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<Code>NoSuchBucket</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesValidate_FromTheBuiltProgram_ExitCodes()
    {
        var directory = TestPaths.NewTempDirectory("og-cli");
        var good = Path.Combine(directory, "good.xml");
        var bad = Path.Combine(directory, "bad.xml");
        await File.WriteAllTextAsync(good, OriginSeed.Example);
        await File.WriteAllTextAsync(bad, OriginSeed.Example.Replace("<RulePriority>1</RulePriority>", "", StringComparison.Ordinal).Replace("FOLLOW", "GOPHER", StringComparison.Ordinal));

        var (goodExit, goodOutput) = await GatewayProcess.RunToExitAsync(["rules", "validate", good]);
        var (badExit, badOutput) = await GatewayProcess.RunToExitAsync(["rules", "validate", bad]);

        Assert.Equal(0, goodExit);
        Assert.Contains("valid, 1 rule(s)", goodOutput, StringComparison.Ordinal);
        Assert.Equal(1, badExit);
        Assert.Contains("RulePriority is required", badOutput, StringComparison.Ordinal);
        Assert.Contains("GOPHER", badOutput, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task RulesExplain_FromTheBuiltProgram_PrintsTheJson()
    {
        var directory = TestPaths.NewTempDirectory("og-cli");
        var file = Path.Combine(directory, "rules.xml");
        await File.WriteAllTextAsync(file, OriginSeed.Example);

        var (exit, output) = await GatewayProcess.RunToExitAsync(["rules", "explain", file, "dir/a.txt", "--scheme", "https", "--query", "v=1", "--header", "Referer: r"]);

        Assert.Equal(0, exit);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal("proxy", json.RootElement.GetProperty("action").GetString());
        Assert.Equal("https://examplebucket-1250000000.cos.ap-shanghai.myqcloud.com/dir/a.txt?v=1", json.RootElement.GetProperty("url").GetString());
        Assert.Equal("csv", json.RootElement.GetProperty("headers").GetProperty("sent").GetProperty("x-cos-ContentType").GetString());
        Assert.Equal("r", json.RootElement.GetProperty("headers").GetProperty("sent").GetProperty("Referer").GetString());
        Directory.Delete(directory, recursive: true);
    }
}
