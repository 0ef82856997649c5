using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OriginGateway.FunctionalTests.Infrastructure;
using WireMock.Settings;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>
/// HTTPS origins, the way a migration meets them: an origin whose certificate a private authority issued. Unknown to the
/// machine, the certificate is refused — a 424 for a miss, a failed task — and the log and the task's message say why
/// (before: "The SSL connection could not be established, see inner exception." and "The origin could not be reached.",
/// which named nothing an operator could act on). Trusted through <c>SSL_CERT_FILE</c> (the machine's own authorities stay
/// trusted beside it), Mirror, Proxy and tasks pull over TLS.
/// </summary>
public sealed class OriginTlsTests : IAsyncLifetime
{
    private readonly StartedServers _servers = new();
    private TestCertificates _certificates = null!;
    private WireMockOrigin _origin = null!;
    private byte[] _body = null!;

    public Task InitializeAsync() => _servers.StartAsync(() =>
    {
        _certificates = TestCertificates.Create();
        using var pem = X509Certificate2.CreateFromPemFile(_certificates.ServerCertificate, _certificates.ServerKey);
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        _origin = _servers.Add(WireMockOrigin.Start(new WireMockServerSettings
        {
            Urls = ["https://127.0.0.1:0"],
            UseSSL = true,
            CertificateSettings = new WireMockCertificateSettings { X509Certificate = certificate },
        }));
        _body = RandomNumberGenerator.GetBytes(50_000);
        foreach (var path in new[] { "/m/a.bin", "/p/a.bin", "/t/a.bin" })
        {
            _origin.Serve(path, _body);
        }
        return Task.CompletedTask;
    });

    public async Task DisposeAsync()
    {
        await _servers.DisposeAsync();
        _certificates?.Dispose();
    }

    private async Task<GatewayProcess> StartAsync(Dictionary<string, string>? variables = null)
    {
        var gateway = await GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32", "--Tasks:MaxAttempts=1"], variables: variables);
        var rules = OriginPullFixture.Rules(
            OriginPullFixture.Rule(1, "Mirror", "m/", _origin.Host, parameter: "<Protocol>HTTPS</Protocol>"),
            OriginPullFixture.Rule(2, "Proxy", "p/", _origin.Host, parameter: "<Protocol>HTTPS</Protocol>"));
        var put = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        return gateway;
    }

    [Fact]
    public async Task AnOriginCertificateOfAnUnknownAuthority_IsRefused_AndTheLogAndTheTaskSayWhy()
    {
        await using var gateway = await StartAsync();

        foreach (var key in new[] { "m/a.bin", "p/a.bin" })
        {
            var miss = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, key));
            Assert.Equal(HttpStatusCode.FailedDependency, miss.StatusCode);
            Assert.Contains("OriginPullFailed", await miss.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.True(await gateway.WaitForOutputAsync($"Origin {_origin.Host} failed: The SSL connection could not be established: The remote certificate is invalid because of errors in the certificate chain: ", TimeSpan.FromSeconds(5)), gateway.Output);
        Assert.True(await gateway.WaitForOutputAsync("ended with Request: The SSL connection could not be established: The remote certificate is invalid because of errors in the certificate chain: ", TimeSpan.FromSeconds(5)), gateway.Output);
        // One line each, not YARP's stack trace of the same failure.
        Assert.DoesNotContain("see inner exception", gateway.Output, StringComparison.Ordinal);
        var tasks = new FetchTaskClient(gateway);
        var failed = await tasks.WaitAsync((await tasks.SubmitAsync(new { Url = $"https://{_origin.Host}/t/a.bin", Key = "t/a.bin" })).TaskId);
        Assert.Equal("TASK_FAILED", failed.State);
        Assert.Equal("OriginUnavailable", failed.Data.GetProperty("code").GetString());
        var message = failed.Data.GetProperty("msg").GetString()!;
        Assert.StartsWith("The origin could not be reached: The SSL connection could not be established: The remote certificate is invalid because of errors in the certificate chain: ", message, StringComparison.Ordinal);
        // Nothing was stored (a HEAD never pulls).
        foreach (var key in new[] { "m/a.bin", "p/a.bin", "t/a.bin" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, key)))).StatusCode);
        }
    }

    [Fact]
    public async Task AnAuthorityTrustedThroughSslCertFile_LetsMirrorProxyAndTasksPullOverTls()
    {
        await using var gateway = await StartAsync(new() { ["SSL_CERT_FILE"] = _certificates.CaFile });

        Assert.Equal(_body, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, "m/a.bin")));
        Assert.Equal(_body, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, "p/a.bin")));
        var tasks = new FetchTaskClient(gateway);
        var done = await tasks.WaitAsync((await tasks.SubmitAsync(new { Url = $"https://{_origin.Host}/t/a.bin", Key = "t/a.bin" })).TaskId);
        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Equal(_body, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, "t/a.bin")));
        // The Mirror's copy was stored: served again without the origin.
        var before = _origin.Count("/m/a.bin");
        Assert.Equal(_body, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, "m/a.bin")));
        Assert.Equal(before, _origin.Count("/m/a.bin"));
    }
}
