using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Storage;

/// <summary>
/// The filesystem store's disk turns read-only under the gateway — what the kernel does to an ext4 file system mounted
/// <c>errors=remount-ro</c> when it finds an error (here a tmpfs of the test's own, remounted read-only). A delete the
/// disk cannot carry out is the store's failure, a retryable 503: the object stays, served and listed, and nothing a
/// restart would bring back was answered 204. Once the disk is writable again the same deletes succeed for good.
/// </summary>
public sealed class ReadOnlyDiskTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ADiskTurnedReadOnly_FailsDeletesWith503_KeepsTheObjects_AndDeletesHoldAfterItIsWritableAgain()
    {
        await using var disk = await TmpfsMount.CreateAsync("og-read-only-disk", "16m", "turns a disk read-only under the gateway");
        string[] settings = [$"--Buckets:0:Storage:Path={disk.Path}"];
        var gateway = await GatewayProcess.StartAsync(settings);
        try
        {
            async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string target, HttpContent? content = null, bool sign = true)
            {
                var request = new HttpRequestMessage(method, new Uri(gateway.DataUrl, target)) { Content = content };
                using var response = await gateway.Client.SendAsync(sign ? request.Sign() : request);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "ro/a.txt", CosSigner.Bytes("kept a"u8.ToArray()))).Status);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "ro/b.txt", CosSigner.Bytes("kept b"u8.ToArray()))).Status);

            await disk.RemountAsync("ro");
            try
            {
                var deleted = await SendAsync(HttpMethod.Delete, "ro/a.txt");
                output.WriteLine($"DELETE on the read-only disk: {(int)deleted.Status} {deleted.Body}");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, deleted.Status);
                Assert.Equal("ServiceUnavailable", XElement.Parse(deleted.Body).Element("Code")!.Value);

                var batch = new XElement("Delete", new XElement("Object", new XElement("Key", "ro/b.txt"))).ToString();
                var batchDeleted = await SendAsync(HttpMethod.Post, "?delete", new StringContent(batch, Encoding.UTF8, "application/xml"));
                output.WriteLine($"POST ?delete on the read-only disk: {(int)batchDeleted.Status} {batchDeleted.Body}");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, batchDeleted.Status);

                // Both objects are still there, and say so.
                Assert.Equal((HttpStatusCode.OK, "kept a"), await SendAsync(HttpMethod.Get, "ro/a.txt", sign: false));
                Assert.Equal((HttpStatusCode.OK, "kept b"), await SendAsync(HttpMethod.Get, "ro/b.txt", sign: false));
                var listed = XElement.Parse((await SendAsync(HttpMethod.Get, "?prefix=ro/")).Body).Elements().Where(e => e.Name.LocalName == "Contents").Select(e => e.Elements().First(k => k.Name.LocalName == "Key").Value);
                Assert.Equal(["ro/a.txt", "ro/b.txt"], listed);

                var ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
                for (var i = 0; i < 50 && ready.StatusCode != HttpStatusCode.ServiceUnavailable; i++)
                {
                    await Task.Delay(200);
                    ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
                }
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Contains("stores: Unhealthy", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            finally
            {
                await disk.RemountAsync("rw");
            }

            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "ro/a.txt")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "ro/a.txt", sign: false)).Status);
        }
        finally
        {
            await gateway.DisposeAsync();
        }

        // What a delete answered stays true across a restart: a delete answered 204 left no file to bring the object back.
        await using var restarted = await GatewayProcess.StartAsync(settings);
        Assert.Equal(HttpStatusCode.NotFound, (await restarted.Client.GetAsync(new Uri(restarted.DataUrl, "ro/a.txt"))).StatusCode);
        Assert.Equal("kept b", await restarted.Client.GetStringAsync(new Uri(restarted.DataUrl, "ro/b.txt")));
    }

    /// <summary>
    /// Every other write on the read-only disk — a new version, a new object, tags, a multipart part and a new upload, a
    /// Mirror fill — is the store's 503 too: stored objects and parts stay as they were, readiness names the read-only file
    /// system; writable again, the same requests succeed.
    /// </summary>
    [Fact]
    public async Task ADiskTurnedReadOnly_FailsEveryWriteWith503_PartsAndFillsToo_KeepsWhatIsStored_NamesItInReadiness_AndRecovers()
    {
        const int MiB = 1024 * 1024;
        await using var disk = await TmpfsMount.CreateAsync("og-read-only-writes", "64m", "turns a disk read-only under the gateway");
        await using var origin = WireMockOrigin.Start();
        await using var gateway = await GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32", $"--Buckets:0:Storage:Path={disk.Path}"]);
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
        var pulled = RandomNumberGenerator.GetBytes(300 * 1024);
        origin.Serve("/m/pulled.bin", pulled);
        async Task<(HttpStatusCode Status, string Body, byte[] Bytes)> SendAsync(HttpMethod method, string key, string query = "", HttpContent? content = null)
        {
            using var response = await gateway.Client.SendAsync(new HttpRequestMessage(method, new Uri(gateway.DataUrl, key + query)) { Content = content }.Sign());
            var bytes = await response.Content.ReadAsByteArrayAsync();
            return (response.StatusCode, Encoding.UTF8.GetString(bytes), bytes);
        }
        void AssertRefused((HttpStatusCode Status, string Body, byte[] Bytes) answer, string what) =>
            Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable && XElement.Parse(answer.Body).Element("Code")!.Value == "ServiceUnavailable",
                $"{what}: {(int)answer.Status} {answer.Body}");
        async Task<(HttpStatusCode Status, string Text)> ReadinessAsync(HttpStatusCode wanted)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                using var ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
                var text = await ready.Content.ReadAsStringAsync();
                if (ready.StatusCode == wanted || clock.Elapsed > TimeSpan.FromSeconds(15))
                {
                    return (ready.StatusCode, text);
                }
                await Task.Delay(100);
            }
        }
        var a = RandomNumberGenerator.GetBytes(MiB);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "ro/a.bin", content: CosSigner.Bytes(a))).Status);
        var initiated = await SendAsync(HttpMethod.Post, "ro/mp.bin", "?uploads", new ByteArrayContent([]));
        var uploadId = XElement.Parse(initiated.Body).Element("UploadId")!.Value;
        var part = RandomNumberGenerator.GetBytes(MiB);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "ro/mp.bin", $"?partNumber=1&uploadId={uploadId}", CosSigner.Bytes(part))).Status);

        await disk.RemountAsync("ro");
        var tags = "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>";
        AssertRefused(await SendAsync(HttpMethod.Put, "ro/a.bin", content: CosSigner.Bytes(RandomNumberGenerator.GetBytes(1000))), "a new version");
        AssertRefused(await SendAsync(HttpMethod.Put, "ro/new.bin", content: CosSigner.Bytes(RandomNumberGenerator.GetBytes(1000))), "a new object");
        AssertRefused(await SendAsync(HttpMethod.Put, "ro/a.bin", "?tagging", new StringContent(tags, Encoding.UTF8, "application/xml")), "tags");
        AssertRefused(await SendAsync(HttpMethod.Put, "ro/mp.bin", $"?partNumber=2&uploadId={uploadId}", CosSigner.Bytes(part)), "a part");
        AssertRefused(await SendAsync(HttpMethod.Post, "ro/other.bin", "?uploads", new ByteArrayContent([])), "a new multipart upload");
        AssertRefused(await SendAsync(HttpMethod.Get, "m/pulled.bin"), "a Mirror fill");
        Assert.Equal(a, (await SendAsync(HttpMethod.Get, "ro/a.bin")).Bytes);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "ro/new.bin")).Status);
        var listed = XElement.Parse((await SendAsync(HttpMethod.Get, "ro/mp.bin", $"?uploadId={uploadId}")).Body).Elements("Part").Select(p => p.Element("PartNumber")!.Value);
        Assert.Equal(["1"], listed);
        var (status, text) = await ReadinessAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(status == HttpStatusCode.ServiceUnavailable && text.Contains("Read-only file system", StringComparison.Ordinal), text);

        await disk.RemountAsync("rw");
        (status, text) = await ReadinessAsync(HttpStatusCode.OK);
        Assert.True(status == HttpStatusCode.OK, text);
        var newA = RandomNumberGenerator.GetBytes(1000);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "ro/a.bin", content: CosSigner.Bytes(newA))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "ro/a.bin", "?tagging", new StringContent(tags, Encoding.UTF8, "application/xml"))).Status);
        var second = await SendAsync(HttpMethod.Put, "ro/mp.bin", $"?partNumber=2&uploadId={uploadId}", CosSigner.Bytes(part));
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(pulled, (await SendAsync(HttpMethod.Get, "m/pulled.bin")).Bytes);
        Assert.Equal(newA, (await SendAsync(HttpMethod.Get, "ro/a.bin")).Bytes);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "ro/a.bin")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "ro/a.bin")).Status);
    }
}
