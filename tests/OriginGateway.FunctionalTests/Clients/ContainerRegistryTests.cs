using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// A container registry (Debian's <c>docker-registry</c>, the CNCF distribution registry 2.8) keeping its images in the
/// private bucket through its S3 storage driver — aws-sdk-go, the Go SDK, with its own multipart writer that resumes an
/// upload across requests, multipart copies (<c>UploadPartCopy</c> of ranges) to move a finished upload into place,
/// batch deletes and delimited listings. skopeo pushes and pulls an image built with umoci, as a team that runs its own
/// registry on a bucket does; a blob goes up in three chunks through the registry's own API; a manifest is deleted and
/// the registry's garbage collector removes the blobs from the bucket.
/// </summary>
public sealed class ContainerRegistryTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync([$"--Buckets:1:Name={GatewayFixture.PrivateBucket}"]);

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    [Fact]
    public async Task DockerRegistry_OnThePrivateBucket_TakesAPushAndAChunkedUpload_ServesThePull_AndCollectsDeletedBlobs()
    {
        var registry = ExternalTool.RequireAt("/usr/bin/docker-registry", "docker-registry");
        var skopeo = ExternalTool.RequireAt("/usr/bin/skopeo", "skopeo");
        var umoci = ExternalTool.RequireAt("/usr/bin/umoci", "umoci");
        var work = TestPaths.NewTempDirectory("og-registry");
        var root = $"registry-{Guid.NewGuid():N}";
        var port = TestPorts.Free();
        // Parts and copied parts of 5 MiB (the smallest S3 takes), so that a 23 MB layer goes up in parts and is moved
        // into place by ranged part copies.
        var config = Path.Combine(work, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: info
            storage:
              s3:
                accesskey: {GatewayProcess.DevSecretId}
                secretkey: {GatewayProcess.DevSecretKey}
                region: ap-guangzhou
                regionendpoint: {_gateway.DataUrl.ToString().TrimEnd('/')}
                forcepathstyle: true
                bucket: {GatewayFixture.PrivateBucket}
                rootdirectory: /{root}
                secure: false
                v4auth: true
                chunksize: 5242880
                multipartcopythresholdsize: 5242880
                multipartcopychunksize: 5242880
              delete:
                enabled: true
              redirect:
                disable: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:{port}
              secret: registry-test-secret
            """);
        string[] unset = ["AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_SESSION_TOKEN"];
        var environment = new Dictionary<string, string> { ["AWS_EC2_METADATA_DISABLED"] = "true", ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null", ["AWS_CONFIG_FILE"] = "/dev/null", ["HOME"] = work };
        ChildProcess StartRegistry()
        {
            var start = new ProcessStartInfo(registry) { WorkingDirectory = work };
            start.ArgumentList.Add("serve");
            start.ArgumentList.Add(config);
            foreach (var name in unset)
            {
                start.Environment.Remove(name);
            }
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }
            return ChildProcess.Start(start);
        }
        async Task<string> Run(string tool, params string[] arguments)
        {
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(tool, arguments, environment: environment, unset: unset, workingDirectory: work);
            Assert.True(exit == 0, $"{Path.GetFileName(tool)} {string.Join(' ', arguments)} ({exit}):\n{stdout}\n{stderr}");
            return stdout + stderr;
        }

        // An image of two files, one of them 23 MB of random bytes (a layer that does not compress).
        var layer = RandomNumberGenerator.GetBytes(23_000_000);
        await Run(umoci, "init", "--layout", "image");
        await Run(umoci, "new", "--image", "image:v1");
        await Run(umoci, "unpack", "--rootless", "--image", "image:v1", "bundle");
        Directory.CreateDirectory(Path.Combine(work, "bundle", "rootfs", "data"));
        await File.WriteAllBytesAsync(Path.Combine(work, "bundle", "rootfs", "data", "big.bin"), layer);
        await File.WriteAllTextAsync(Path.Combine(work, "bundle", "rootfs", "data", "hello.txt"), "hello from the bucket\n");
        await Run(umoci, "repack", "--image", "image:v1", "bundle");

        var server = StartRegistry();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/v2/") };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    if ((await client.GetAsync(new Uri("", UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                Assert.True(DateTime.UtcNow < deadline, "the registry did not start:\n" + server.Output);
                await Task.Delay(200);
            }

            // skopeo pushes the image under two tags (the second finds every blob there already), and pulls it back.
            var destination = $"docker://127.0.0.1:{port}/team/app";
            await Run(skopeo, "copy", "--dest-tls-verify=false", "oci:image:v1", destination + ":v1");
            await Run(skopeo, "copy", "--dest-tls-verify=false", "oci:image:v1", destination + ":v2");
            Assert.Equal("{\"repositories\":[\"team/app\"]}", (await client.GetStringAsync(new Uri("_catalog", UriKind.Relative))).Trim());
            using (var tags = JsonDocument.Parse(await client.GetStringAsync(new Uri("team/app/tags/list", UriKind.Relative))))
            {
                Assert.Equal(["v1", "v2"], tags.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal));
            }
            await Run(skopeo, "copy", "--src-tls-verify=false", destination + ":v1", "oci:pulled:v1");
            await Run(umoci, "unpack", "--rootless", "--image", "pulled:v1", "pulled-bundle");
            var pulled = await File.ReadAllBytesAsync(Path.Combine(work, "pulled-bundle", "rootfs", "data", "big.bin"));
            Assert.True(layer.AsSpan().SequenceEqual(pulled), "the pulled layer's file differs from the pushed one");
            Assert.Equal("hello from the bucket\n", await File.ReadAllTextAsync(Path.Combine(work, "pulled-bundle", "rootfs", "data", "hello.txt")));

            // A blob in three chunks, each its own request (the registry resumes its multipart upload from the bucket's
            // listing of uploads and parts each time), then committed by digest and read back.
            var blob = RandomNumberGenerator.GetBytes(13 * 1024 * 1024);
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob));
            var started = await client.PostAsync(new Uri("team/app/blobs/uploads/", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var location = started.Headers.Location!;
            var offset = 0;
            foreach (var size in new[] { 6 << 20, 6 << 20, 1 << 20 })
            {
                using var chunk = new ByteArrayContent(blob, offset, size);
                chunk.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                chunk.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + size - 1}");
                var patched = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, location) { Content = chunk });
                Assert.True(patched.StatusCode == HttpStatusCode.Accepted, $"PATCH {offset}: {(int)patched.StatusCode} {await patched.Content.ReadAsStringAsync()}\n{server.Output}");
                offset += size;
                Assert.Equal($"0-{offset - 1}", patched.Headers.GetValues("Range").Single());
                location = patched.Headers.Location!;
            }
            var committed = await client.PutAsync(new Uri(location + (location.ToString().Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest), UriKind.RelativeOrAbsolute), null);
            Assert.True(committed.StatusCode == HttpStatusCode.Created, $"commit: {(int)committed.StatusCode} {await committed.Content.ReadAsStringAsync()}\n{server.Output}");
            Assert.Equal(digest, committed.Headers.GetValues("Docker-Content-Digest").Single());
            var readBack = await client.GetByteArrayAsync(new Uri($"team/app/blobs/{digest}", UriKind.Relative));
            Assert.True(blob.AsSpan().SequenceEqual(readBack), "the chunked blob read back differs");

            // Both tags deleted (they name one manifest), then the garbage collector — run, as its documentation says,
            // with the registry stopped — removes every blob from the bucket.
            using var head = new HttpRequestMessage(HttpMethod.Head, new Uri("team/app/manifests/v1", UriKind.Relative));
            head.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
            var manifest = (await client.SendAsync(head)).Headers.GetValues("Docker-Content-Digest").Single();
            Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync(new Uri($"team/app/manifests/{manifest}", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("team/app/manifests/v2", UriKind.Relative))).StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
        }
        Assert.NotEmpty(await BlobKeysAsync(root));
        var collected = await Run(registry, "garbage-collect", "--delete-untagged", config);
        Assert.Contains("blob eligible for deletion", collected, StringComparison.Ordinal);
        var left = await BlobKeysAsync(root);
        Assert.True(left.Count == 0, "blobs the garbage collector left in the bucket:\n" + string.Join('\n', left) + "\n" + collected);
        Directory.Delete(work, recursive: true);
    }

    /// <summary>The keys under the registry's blob store in the private bucket, listed through the gateway's own API.</summary>
    private async Task<List<string>> BlobKeysAsync(string root)
    {
        var prefix = $"{root}/docker/registry/v2/blobs/";
        var answer = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get,
            new Uri(_gateway.DataUrl, $"{GatewayFixture.PrivateBucket}?prefix={Uri.EscapeDataString(prefix)}&max-keys=1000")).Sign());
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, text);
        var document = System.Xml.Linq.XDocument.Parse(text);
        return [.. document.Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value)];
    }
}
