using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Storage;

/// <summary>
/// The filesystem store's disk fills up (a real one: a 12 MiB tmpfs under the gateway's data directory). Every write
/// that does not fit is refused as the store's failure — 503 ServiceUnavailable, retry — never as the client's fault;
/// nothing of it is left behind, every stored version and an upload's parts stay whole, and once room is made the
/// same requests succeed.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task ADiskThatFills_RefusesWritesWith503_KeepsEveryStoredVersionAndPart_LeavesNothingBehind_AndRecovers()
    {
        await using var origin = WireMockOrigin.Start();
        await using var gateway = await GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32"], dataDiskBytes: 12 * MiB);
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
        var small = RandomNumberGenerator.GetBytes(40 * 1024);
        var large = RandomNumberGenerator.GetBytes(2 * MiB);
        origin.Serve("/m/small.bin", small);
        origin.Serve("/m/large.bin", large);
        Uri Url(string key, string query = "") => new(gateway.DataUrl, key + query);
        async Task<(HttpStatusCode Status, string Body, byte[] Bytes)> SendAsync(HttpMethod method, string key, string query = "", HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
        {
            var request = new HttpRequestMessage(method, Url(key, query)) { Content = content };
            configure?.Invoke(request);
            using var response = await gateway.Client.SendAsync(request.Sign());
            var bytes = await response.Content.ReadAsByteArrayAsync();
            return (response.StatusCode, Encoding.UTF8.GetString(bytes), bytes);
        }
        Task<(HttpStatusCode Status, string Body, byte[] Bytes)> PutAsync(string key, byte[] body) => SendAsync(HttpMethod.Put, key, content: CosSigner.Bytes(body));
        Task<(HttpStatusCode Status, string Body, byte[] Bytes)> CopyAsync(string from, string to) => SendAsync(HttpMethod.Put, to, configure: r => r.Headers.Add("x-cos-copy-source", $"{GatewayProcess.DefaultBucket}.cos.ap-guangzhou.myqcloud.com/{from}"));
        static string Code(string body) => XElement.Parse(body).Element("Code")!.Value;
        void AssertRefusedAsTheStoresFailure((HttpStatusCode Status, string Body, byte[] Bytes) answer, string what)
        {
            Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable && Code(answer.Body) == "ServiceUnavailable", $"{what}: {(int)answer.Status} {answer.Body}");
        }
        async Task<long> FreeBytesAsync()
        {
            var (exit, stdout, stderr) = await gateway.InDataDiskAsync("df", "-B1", "--output=avail", gateway.DataDirectory);
            Assert.True(exit == 0, stderr);
            return long.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim(), CultureInfo.InvariantCulture);
        }

        var a = RandomNumberGenerator.GetBytes(MiB);
        var b = RandomNumberGenerator.GetBytes(MiB);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("full/a.bin", a)).Status);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("full/b.bin", b)).Status);
        var initiated = await SendAsync(HttpMethod.Post, "full/mp.bin", "?uploads", new ByteArrayContent([]));
        var uploadId = XElement.Parse(initiated.Body).Element("UploadId")!.Value;
        var part1 = RandomNumberGenerator.GetBytes(MiB + MiB / 2);
        var part2 = RandomNumberGenerator.GetBytes(MiB / 2);
        var etags = new List<string>();
        foreach (var (number, part) in new[] { (1, part1), (2, part2) })
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url("full/mp.bin", $"?partNumber={number}&uploadId={uploadId}")) { Content = CosSigner.Bytes(part) };
            using var response = await gateway.Client.SendAsync(request.Sign());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            etags.Add(response.Headers.ETag!.Tag);
        }
        var completion = new XElement("CompleteMultipartUpload", etags.Select((etag, i) => new XElement("Part", new XElement("PartNumber", i + 1), new XElement("ETag", etag)))).ToString();

        // Fill the disk to within 16 KiB.
        var filler = RandomNumberGenerator.GetBytes((int)(await FreeBytesAsync() - 16 * 1024));
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("full/filler.bin", filler)).Status);
        output.WriteLine($"{await FreeBytesAsync()} bytes free after the filler of {filler.Length}");

        var c = RandomNumberGenerator.GetBytes(MiB);
        var newA = RandomNumberGenerator.GetBytes(MiB);
        AssertRefusedAsTheStoresFailure(await PutAsync("full/c.bin", c), "a new object");
        AssertRefusedAsTheStoresFailure(await PutAsync("full/a.bin", newA), "a new version of a stored object");
        AssertRefusedAsTheStoresFailure(await CopyAsync("full/a.bin", "full/a-copy.bin"), "a copy");
        AssertRefusedAsTheStoresFailure(await SendAsync(HttpMethod.Post, "full/mp.bin", $"?uploadId={uploadId}", new StringContent(completion, Encoding.UTF8, "application/xml")), "a multipart completion");

        // A Mirror miss: the origin answers, the store cannot take the body. One that fits in a read is refused before a
        // byte is sent; a longer one is refused the same way while none of its bytes reached the client, and cut once some
        // had (which of the two depends on where the disk runs out) — never a clean answer.
        AssertRefusedAsTheStoresFailure(await SendAsync(HttpMethod.Get, "m/small.bin"), "a Mirror fill of 40 KiB");
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => gateway.Client.GetByteArrayAsync(Url("m/large.bin")));

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "full/c.bin")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "full/a-copy.bin")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "full/mp.bin")).Status);
        Assert.Equal(a, (await SendAsync(HttpMethod.Get, "full/a.bin")).Bytes);
        Assert.Equal(b, (await SendAsync(HttpMethod.Get, "full/b.bin")).Bytes);
        var parts = XElement.Parse((await SendAsync(HttpMethod.Get, "full/mp.bin", $"?uploadId={uploadId}")).Body).Elements("Part").Select(p => p.Element("ETag")!.Value).ToList();
        Assert.Equal(etags, parts);
        var (findExit, leftovers, findError) = await gateway.InDataDiskAsync("find", gateway.DataDirectory, "-name", "*.tmp");
        Assert.True(findExit == 0, findError);
        Assert.True(leftovers.Trim().Length == 0, $"staging files left behind: {leftovers}");
        // Readiness follows with its next probe (the store's last write failed moments ago).
        var probing = System.Diagnostics.Stopwatch.StartNew();
        string readyText;
        HttpStatusCode readyStatus;
        do
        {
            using var ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
            (readyStatus, readyText) = (ready.StatusCode, await ready.Content.ReadAsStringAsync());
        }
        while (readyStatus != HttpStatusCode.ServiceUnavailable && probing.Elapsed < TimeSpan.FromSeconds(8) && await Delay(100));
        Assert.True(readyStatus == HttpStatusCode.ServiceUnavailable && readyText.Contains("No space left on device", StringComparison.Ordinal), readyText);

        // Room again: the same requests succeed (the completion first: it needs the room of its parts once more).
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "full/filler.bin")).Status);
        var completed = await SendAsync(HttpMethod.Post, "full/mp.bin", $"?uploadId={uploadId}", new StringContent(completion, Encoding.UTF8, "application/xml"));
        Assert.True(completed.Status == HttpStatusCode.OK, completed.Body);
        Assert.Equal(part1.Concat(part2).ToArray(), (await SendAsync(HttpMethod.Get, "full/mp.bin")).Bytes);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("full/c.bin", c)).Status);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("full/a.bin", newA)).Status);
        Assert.Equal(HttpStatusCode.OK, (await CopyAsync("full/a.bin", "full/a-copy.bin")).Status);
        Assert.Equal(newA, (await SendAsync(HttpMethod.Get, "full/a-copy.bin")).Bytes);
        Assert.Equal(small, (await SendAsync(HttpMethod.Get, "m/small.bin")).Bytes);
        // The cut fill stored nothing: the next GET fetches again; that fill is stored, and the GET after it is a hit. (How
        // many fetches the refused GET made is not fixed: a client whose connection is reset before a byte of the answer
        // arrived may send its GET again, as .NET's does on a reused connection.)
        var fetchesWhileFull = origin.Count("/m/large.bin");
        Assert.Equal(large, await gateway.Client.GetByteArrayAsync(Url("m/large.bin")));
        var fetchesAfterRoom = origin.Count("/m/large.bin");
        Assert.True(fetchesAfterRoom > fetchesWhileFull && fetchesWhileFull >= 1, $"origin fetches: {fetchesWhileFull} while full, {fetchesAfterRoom} after");
        Assert.Equal(large, await gateway.Client.GetByteArrayAsync(Url("m/large.bin")));
        Assert.True(origin.Count("/m/large.bin") == fetchesAfterRoom,
            $"the stored fill was fetched again: {string.Join(", ", origin.Hits("/m/large.bin").Select(h => h.Headers.GetValueOrDefault("Range") ?? "whole"))}\n{gateway.Output}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode readiness;
        while ((readiness = (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode) != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200);
        }
        Assert.Equal(HttpStatusCode.OK, readiness);
        output.WriteLine($"ready again {clock.ElapsedMilliseconds} ms after the last write succeeded");
    }

    private static async Task<bool> Delay(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return true;
    }
    /// <summary>
    /// The S3 store's server runs out of room (s3rver on a 6 MiB tmpfs; MinIO's full drive, Ceph's quota and a denying
    /// policy fail writes alike): writes answer 503, stored objects stay whole — and readiness says so for as long as
    /// writes fail. Before, a LIST (which such a server still answers) cleared the failed write at once, so `/readyz`
    /// read Healthy between the 503s.
    /// </summary>
    [Fact]
    public async Task AnS3StoreThatIsFull_Answers503_IsNotReadyThoughItAnswersLists_AndIsReadyOnceAWriteCommits()
    {
        await using var disk = await TmpfsMount.CreateAsync("og-s3-full", "6m", "the S3 server's disk, to fill");
        await using var s3 = await S3Server.StartOnAsync(disk.Path, "gateway");
        await using var gateway = await GatewayProcess.StartAsync([.. S3Server.GatewaySettings(s3), "--Buckets:0:Storage:Timeout=00:00:02"]);
        Uri Url(string key) => new(gateway.DataUrl, key);
        async Task<(HttpStatusCode Status, string Body)> PutAsync(string key, byte[] body)
        {
            using var response = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, Url(key)) { Content = new ByteArrayContent(body) }.Sign());
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        async Task<(HttpStatusCode Status, string Text)> ReadinessAsync()
        {
            using var ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
            return (ready.StatusCode, await ready.Content.ReadAsStringAsync());
        }

        var stored = new List<(string Key, byte[] Body)>();
        (HttpStatusCode Status, string Body) refused = default;
        for (var i = 0; i < 12 && refused.Status == default; i++)
        {
            var body = RandomNumberGenerator.GetBytes(MiB);
            var put = await PutAsync($"full/{i}.bin", body);
            if (put.Status == HttpStatusCode.OK)
            {
                stored.Add(($"full/{i}.bin", body));
            }
            else
            {
                refused = put;
            }
        }
        Assert.True(refused.Status == HttpStatusCode.ServiceUnavailable, $"a PUT into a full S3 store answered {refused.Status}: {refused.Body}");
        Assert.Contains("<Code>ServiceUnavailable</Code>", refused.Body, StringComparison.Ordinal);
        Assert.NotEmpty(stored);

        // Not ready, and it stays so while the server answers LISTs (the probe) — not only for the moment of the 503.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var readiness = await ReadinessAsync();
        while (readiness.Status != HttpStatusCode.ServiceUnavailable && clock.Elapsed < TimeSpan.FromSeconds(5) && await Delay(100))
        {
            readiness = await ReadinessAsync();
        }
        Assert.True(readiness.Status == HttpStatusCode.ServiceUnavailable && readiness.Text.Contains("a write failed", StringComparison.Ordinal), readiness.Text);
        for (var i = 0; i < 6; i++)
        {
            await Task.Delay(300);
            readiness = await ReadinessAsync();
            Assert.True(readiness.Status == HttpStatusCode.ServiceUnavailable, $"ready again {clock.ElapsedMilliseconds} ms after a refused write, with no write since: {readiness.Text}");
        }

        // What was stored reads back whole.
        foreach (var (key, body) in stored)
        {
            Assert.Equal(body, await gateway.Client.GetByteArrayAsync(Url(key)));
        }

        // Room again (two objects deleted): a write commits, and the store is ready at once.
        foreach (var (key, _) in stored.Take(2))
        {
            using var deleted = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, Url(key)).Sign());
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("full/after.txt", Encoding.UTF8.GetBytes("room again"))).Status);
        var committed = System.Diagnostics.Stopwatch.StartNew();
        while ((readiness = await ReadinessAsync()).Status != HttpStatusCode.OK && committed.Elapsed < TimeSpan.FromSeconds(5) && await Delay(100))
        {
        }
        Assert.True(readiness.Status == HttpStatusCode.OK, readiness.Text);
        output.WriteLine($"ready {committed.ElapsedMilliseconds} ms after the write that committed");
    }
}
