using System.Net;
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
}
