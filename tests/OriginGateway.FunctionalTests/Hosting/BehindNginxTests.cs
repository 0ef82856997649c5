using System.Diagnostics;
using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// The gateway behind a real TLS-terminating nginx (apt <c>nginx</c>), configured as the README's "TLS and proxies" shows,
/// with the AWS CLI talking https to nginx only: what a signed request names as its host, what an upload streams through
/// and what a presigned URL was made for must all survive the hop.
/// </summary>
public sealed class BehindNginxTests
{
    /// <summary>
    /// The README's nginx server block, as a user adapts it: its port, certificate files and the gateway's address are this
    /// run's; every other line is the README's own.
    /// </summary>
    private static string ServerBlock(int port, string certificate, string key, string upstream)
    {
        var block = Readme.Fenced("nginx");
        foreach (var (shown, used) in new[]
        {
            ("listen 443 ssl;", $"listen 127.0.0.1:{port} ssl;"),
            ("/etc/origin-gateway/tls.crt;", certificate + ";"),
            ("/etc/origin-gateway/tls.key;", key + ";"),
            ("proxy_pass http://127.0.0.1:8080;", $"proxy_pass http://{upstream};"),
        })
        {
            Assert.Contains(shown, block, StringComparison.Ordinal);
            block = block.Replace(shown, used, StringComparison.Ordinal);
        }
        return block;
    }

    [Fact]
    public async Task TheAwsCli_ThroughATlsTerminatingNginx_ListsUploadsMultipartDownloadsAndPresigns_ByteForByte()
    {
        var nginx = ExternalTool.RequireAt("/usr/sbin/nginx", "nginx");
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        using var certificates = TestCertificates.Create();
        await using var gateway = await GatewayProcess.StartAsync([$"--Buckets:1:Name={GatewayFixture.PrivateBucket}", "--ForwardedHeaders:KnownProxies:0=127.0.0.1"]);
        var work = TestPaths.NewTempDirectory("og-behind-nginx");
        var temp = Directory.CreateDirectory(Path.Combine(work, "tmp")).FullName;
        var port = TestPorts.Free();
        await File.WriteAllTextAsync(Path.Combine(work, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{work}}/nginx.pid;
            error_log stderr warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{temp}}; proxy_temp_path {{temp}}; fastcgi_temp_path {{temp}}; uwsgi_temp_path {{temp}}; scgi_temp_path {{temp}};
                {{ServerBlock(port, certificates.ServerCertificate, certificates.ServerKey, $"127.0.0.1:{gateway.DataPort}")}}
            }
            """);
        await using var proxy = ChildProcess.Start(new ProcessStartInfo(nginx) { ArgumentList = { "-p", work, "-c", Path.Combine(work, "nginx.conf"), "-e", "stderr" } });
        await proxy.WaitForPortAsync(port, "nginx");

        // The name the clients use, as a user's would be: a host name and nginx's port, which they sign.
        var endpoint = $"https://localhost:{port}";
        var environment = GatewayProcess.AwsEnvironment();
        environment["AWS_CA_BUNDLE"] = certificates.CaFile;
        async Task<string> Aws(params string[] arguments)
        {
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(aws, ["--endpoint-url", endpoint, .. arguments], environment: environment);
            Assert.True(exit == 0, $"aws {string.Join(' ', arguments)}: {stderr}{stdout}\nnginx: {proxy.Output}");
            return stdout;
        }
        var big = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(work, "big.bin"), big);
        var bucket = $"s3://{GatewayFixture.PrivateBucket}";

        Assert.Contains(GatewayFixture.PrivateBucket, await Aws("s3", "ls"), StringComparison.Ordinal);
        // 20 MiB: a multipart upload (8 MiB parts), streamed through nginx part by part, and a download in ranged GETs.
        await Aws("s3", "cp", Path.Combine(work, "big.bin"), $"{bucket}/behind-nginx/big.bin");
        await Aws("s3", "cp", $"{bucket}/behind-nginx/big.bin", Path.Combine(work, "back.bin"));
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(work, "back.bin"))));
        Assert.Contains("big.bin", await Aws("s3", "ls", $"{bucket}/behind-nginx/"), StringComparison.Ordinal);

        // A presigned URL names nginx's host and port; fetched through nginx it is the object.
        var presigned = (await Aws("s3", "presign", $"{bucket}/behind-nginx/big.bin", "--expires-in", "300")).Trim();
        Assert.StartsWith(endpoint + "/", presigned, StringComparison.Ordinal);
        var curl = ExternalTool.Require("curl", "curl");
        var fetched = Path.Combine(work, "presigned.bin");
        var (curlExit, _, curlError) = await ExternalTool.RunAsync(curl, ["--silent", "--show-error", "--fail", "--cacert", certificates.CaFile, "--output", fetched, presigned]);
        Assert.True(curlExit == 0, "curl: " + curlError);
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(await File.ReadAllBytesAsync(fetched)));
        await Aws("s3", "rm", $"{bucket}/behind-nginx/big.bin");
        Assert.DoesNotContain("big.bin", (await ExternalTool.RunAsync(aws, ["--endpoint-url", endpoint, "s3", "ls", $"{bucket}/behind-nginx/"], environment: environment)).Stdout, StringComparison.Ordinal);
    }
}
