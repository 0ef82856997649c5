using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>TLS listeners, a TLS-terminating proxy in front, graceful shutdown and a full disk.</summary>
public sealed class OperationsTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=origin-gateway-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12, "pfx-password"), "pfx-password");
    }

    private static Task PutRulesAsync(GatewayProcess gateway, string rules, string bucketPath = "") =>
        gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, bucketPath + "?origin")) { Content = new StringContent(rules) }.Sign())
            .ContinueWith(t => Assert.Equal(HttpStatusCode.OK, t.Result.StatusCode), TaskScheduler.Default);

    [Fact]
    public async Task Https_WithASelfSignedCertificate_ServesBothEndpoints_AndFollowSeesHttps()
    {
        using var certificate = SelfSigned();
        var directory = TestPaths.NewTempDirectory("og-tls");
        var pfx = Path.Combine(directory, "gateway.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx-password"));
        try
        {
            await using var gateway = await GatewayProcess.StartAsync(
            [
                "--Endpoints:Data=https://127.0.0.1:0",
                "--Endpoints:Control=https://127.0.0.1:0",
                $"--Kestrel:Certificates:Default:Path={pfx}",
                "--Kestrel:Certificates:Default:Password=pfx-password",
            ], trusted: certificate);

            Assert.Equal("https", gateway.DataUrl.Scheme);
            Assert.Equal("https", gateway.ControlUrl.Scheme);
            Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode);
            var put = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "tls/a.txt")) { Content = new StringContent("over tls") }.Sign());
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal("over tls", await gateway.Client.GetStringAsync(new Uri(gateway.DataUrl, "tls/a.txt")));
            await PutRulesAsync(gateway, OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Redirect", "r/", "cdn.example.com", parameter: "<Protocol>FOLLOW</Protocol>")));
            var redirect = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "r/x.jpg"));
            Assert.Equal("https://cdn.example.com/r/x.jpg", redirect.Headers.Location!.OriginalString);

            // A client that does not trust the certificate cannot talk to it.
            using var strict = new HttpClient();
            await Assert.ThrowsAsync<HttpRequestException>(() => strict.GetAsync(new Uri(gateway.ControlUrl, "healthz")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Https_WithoutACertificate_IsAConfigurationError()
    {
        var (exit, output) = await GatewayProcess.RunToExitAsync(["--Endpoints:Data=https://127.0.0.1:0", "--Endpoints:Control=http://127.0.0.1:0"]);
        Assert.Equal(2, exit);
        Assert.Contains("Kestrel:Certificates:Default:Path", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardedHeaders_FromAKnownProxy_DecideSchemeAndVirtualHost_FromOthersNothing()
    {
        string[] settings =
        [
            $"--Buckets:1:Name={GatewayFixture.PrivateBucket}",
            $"--Buckets:1:Hosts:0={GatewayFixture.PrivateHost}",
            "--Buckets:1:PublicRead=true",
        ];
        await using var behindProxy = await GatewayProcess.StartAsync([.. settings, "--ForwardedHeaders:KnownProxies:0=127.0.0.1"]);
        await using var direct = await GatewayProcess.StartAsync(settings);
        await using var otherProxy = await GatewayProcess.StartAsync([.. settings, "--ForwardedHeaders:KnownProxies:0=10.9.9.9"]);
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Redirect", "r/", "cdn.example.com", parameter: "<Protocol>FOLLOW</Protocol>"));
        foreach (var gateway in new[] { behindProxy, direct, otherProxy })
        {
            await PutRulesAsync(gateway, rules, GatewayFixture.PrivateBucket + "/");
        }

        async Task<HttpResponseMessage> ThroughProxyAsync(GatewayProcess gateway)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, "r/photo.jpg"));
            request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
            request.Headers.TryAddWithoutValidation("X-Forwarded-Host", GatewayFixture.PrivateHost);
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7");
            return await gateway.Client.SendAsync(request);
        }

        var trusted = await ThroughProxyAsync(behindProxy);
        Assert.Equal(HttpStatusCode.Found, trusted.StatusCode);
        Assert.Equal("https://cdn.example.com/r/photo.jpg", trusted.Headers.Location!.OriginalString);

        foreach (var gateway in new[] { direct, otherProxy })
        {
            // The headers are ignored: the default bucket (no rule for r/) answers, by plain http.
            var ignored = await ThroughProxyAsync(gateway);
            Assert.Equal(HttpStatusCode.NotFound, ignored.StatusCode);
        }
    }

    [Fact]
    public async Task Sigterm_LetsAFillFinishWithinTheGrace_AbortsOneThatCannot_AndReleasesRunningTasks()
    {
        await using var origin = await SlowOrigin.StartAsync();
        var quick = RandomNumberGenerator.GetBytes(512 * 1024);
        origin.ServeSlowly("/m/quick.bin", quick, 64 * 1024, TimeSpan.FromMilliseconds(150));
        origin.ServeSlowly("/m/endless.bin", new byte[8 * 1024 * 1024], 16 * 1024, TimeSpan.FromMilliseconds(100));
        var taskBody = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        origin.ServeSlowly("/task.bin", taskBody, 32 * 1024, TimeSpan.FromMilliseconds(100));
        var directory = TestPaths.NewTempDirectory("og-sigterm");
        string[] settings = ["--Egress:AllowedNetworks:0=127.0.0.1/32", "--Shutdown:GracePeriod=00:00:03"];
        try
        {
            string taskId;
            Task<HttpResponseMessage> quickGet, endlessGet;
            var gateway = await GatewayProcess.StartAsync(settings, dataDirectory: directory);
            await using (gateway)
            {
                await PutRulesAsync(gateway, OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host)));
                var tasks = new FetchTaskClient(gateway);
                taskId = (await tasks.SubmitAsync(new { Url = $"http://{origin.Host}/task.bin", Key = "task.bin" })).TaskId;
                await tasks.WaitAsync(taskId, a => a.State == "TASK_RUNNING" || a.State == "TASK_SUCCESS");
                quickGet = gateway.Client.GetAsync(new Uri(gateway.DataUrl, "m/quick.bin"));
                endlessGet = gateway.Client.GetAsync(new Uri(gateway.DataUrl, "m/endless.bin"), HttpCompletionOption.ResponseHeadersRead);
                await Task.Delay(300);

                var stopwatch = Stopwatch.StartNew();
                var exit = await gateway.TerminateAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(0, exit);
                Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"shutdown took {stopwatch.Elapsed}");
                Assert.True(gateway.Output.Contains("ShuttingDown", StringComparison.Ordinal), gateway.Output);
            }

            // The quick fill finished within the grace period and its client got every byte.
            var quickResponse = await quickGet;
            Assert.Equal(quick, await quickResponse.Content.ReadAsByteArrayAsync());
            // The endless one was cut: its client never gets a whole body.
            await Assert.ThrowsAnyAsync<Exception>(async () => await (await endlessGet).Content.ReadAsByteArrayAsync());

            await using var restarted = await GatewayProcess.StartAsync(settings, dataDirectory: directory);
            Assert.Equal(HttpStatusCode.OK, (await restarted.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(restarted.DataUrl, "m/quick.bin")))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await restarted.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(restarted.DataUrl, "m/endless.bin")))).StatusCode);
            var resumed = await new FetchTaskClient(restarted).WaitAsync(taskId);
            Assert.Equal("TASK_SUCCESS", resumed.State);
            Assert.Equal(taskBody, await restarted.Client.GetByteArrayAsync(new Uri(restarted.DataUrl, "task.bin")));
            Assert.Empty(TestPaths.StagingFiles(directory, GatewayProcess.DefaultBucket));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task FullDisk_MidFill_AbortsTheFill_KeepsNothing_AndReadinessSaysSo()
    {
        await using var disk = await TmpfsMount.CreateAsync("og-full-disk", "1m", "simulates a full disk");
        var mount = disk.Path;
        await using var origin = WireMockOrigin.Start();
        var small = Encoding.UTF8.GetBytes("fits");
        origin.Serve("/m/small.txt", small, "text/plain");
        origin.Serve("/m/big.bin", RandomNumberGenerator.GetBytes(3 * 1024 * 1024));
        await using var gateway = await GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32", $"--Buckets:0:Storage:Path={mount}"]);
        await PutRulesAsync(gateway, OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host)));
        Assert.Equal(small, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, "m/small.txt")));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode);

        // The client never receives a whole 3 MiB body: the fill stops when the disk is full.
        var whole = false;
        try
        {
            var response = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "m/big.bin"));
            whole = response.IsSuccessStatusCode && (await response.Content.ReadAsByteArrayAsync()).Length == 3 * 1024 * 1024;
        }
        catch (HttpRequestException)
        {
        }
        Assert.False(whole);

        // Readiness is probed in the background once a second: it turns within about that.
        HttpResponseMessage ready;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while ((ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("stores: Unhealthy", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The metrics tell it: a fill the store failed, and a response cut before its end.
        var metrics = await gateway.Client.GetStringAsync(new Uri(gateway.ControlUrl, "metrics"));
        Assert.Matches("origin_gateway_commits_rejected_total\\{reason=\"StoreFailed\"\\} [1-9]", metrics);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(metrics, "origin_gateway_requests_total\\{[^}]*action=\"mirror\"[^}]*status=\"0\"[^}]*\\} 1"), string.Join("\n", metrics.Split("\n").Where(l => l.StartsWith("origin_gateway_requests_total", StringComparison.Ordinal))));
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, "m/big.bin")))).StatusCode);
        Assert.Empty(TestPaths.StagingFiles(mount));
        Assert.True(await gateway.WaitForOutputAsync("failed on the store", TimeSpan.FromSeconds(5)), gateway.Output);
        // What was stored before is still served whole.
        Assert.Equal(small, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, "m/small.txt")));
    }
}
