using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Multipart;

/// <summary>The official COS SDK's multipart uploads of a 50 MiB file, and the sweep of abandoned uploads.</summary>
public sealed class MultipartSdkAndSweepTests
{
    private const int MiB = 1024 * 1024;

    private static string ExpectedETag(byte[] data, int partSize)
    {
        var digests = new List<byte>();
        var parts = 0;
        for (var offset = 0; offset < data.Length; offset += partSize, parts++)
        {
            digests.AddRange(MD5.HashData(data.AsSpan(offset, Math.Min(partSize, data.Length - offset))));
        }
        return $"\"{Convert.ToHexStringLower(MD5.HashData(digests.ToArray()))}-{parts}\"";
    }

    /// <summary>
    /// The official COS Node SDK's whole-file, sliced and copied uploads, and a sliced upload it resumes after it was cut
    /// short; on both storages, and with every completion
    /// answered the slow way (200 at once, spaces, then the result: <c>Limits:SlowAnswerKeepAlive</c> of 10 ms).
    /// </summary>
    [Theory]
    [InlineData("FileSystem", false)]
    [InlineData("S3", false)]
    [InlineData("FileSystem", true)]
    public async Task OfficialNodeSdk_UploadFileSliceUploadFileAndSliceCopyFile_Of50MiB_StoreTheSameBytes(string storage, bool keptAlive)
    {
        NodeScript.RequirePackage("cos-nodejs-sdk-v5");
        await using var s3 = storage == "S3" ? await S3Server.StartAsync("gateway") : null;
        await using var gateway = await GatewayProcess.StartAsync([.. S3Server.GatewaySettings(s3), .. keptAlive ? ["--Limits:SlowAnswerKeepAlive=00:00:00.010"] : Array.Empty<string>()]);
        var data = RandomNumberGenerator.GetBytes(50 * MiB);
        var file = Path.Combine(gateway.DataDirectory, "upload-source.bin");
        await File.WriteAllBytesAsync(file, data);
        var prefix = $"sdk-mpu/{Guid.NewGuid():N}";

        var (exit, stdout, stderr) = await NodeScript.RunAsync("cos-multipart-check.js",
            gateway.DataPort.ToString(CultureInfo.InvariantCulture), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket, file, prefix);

        Assert.True(exit == 0, $"the SDK script failed:\n{stderr}\n{stdout}\n{gateway.Output}");
        using var result = JsonDocument.Parse(stdout);
        var root = result.RootElement;

        // uploadFile: 1 MiB slices (50 parts); sliceUploadFile: 4 MiB slices (13 parts, the last 2 MiB);
        // sliceCopyFile: Upload Part - Copy of 10 MiB ranges of the first (5 parts).
        Assert.Equal(ExpectedETag(data, MiB), root.GetProperty("uploadFile").GetProperty("etag").GetString());
        Assert.Equal(ExpectedETag(data, 4 * MiB), root.GetProperty("sliceUploadFile").GetProperty("etag").GetString());
        Assert.Equal(ExpectedETag(data, 10 * MiB), root.GetProperty("sliceCopyFile").GetProperty("etag").GetString());
        foreach (var (key, etag) in new[] { ($"{prefix}/upload-file.bin", ExpectedETag(data, MiB)), ($"{prefix}/slice-upload.bin", ExpectedETag(data, 4 * MiB)), ($"{prefix}/slice-copy.bin", ExpectedETag(data, 10 * MiB)) })
        {
            var get = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, key)).Sign());
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(await get.Content.ReadAsByteArrayAsync()));
            Assert.Equal(etag, get.Headers.ETag!.Tag);
        }
        foreach (var key in new[] { $"{prefix}/upload-file.bin", $"{prefix}/slice-copy.bin" })
        {
            var head = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, key)).Sign());
            Assert.Equal("application/x-test", head.Content.Headers.ContentType!.MediaType);
            Assert.Equal("uploadFile", head.Headers.GetValues("x-cos-meta-via").Single());
        }

        // The upload cut short after three parts was resumed by sliceUploadFile: completed under its own id (which is then
        // gone), with nothing left in progress, and the same bytes as the file.
        var resumed = root.GetProperty("resumed");
        Assert.Equal(ExpectedETag(data, MiB), resumed.GetProperty("etag").GetString());
        Assert.Equal(0, resumed.GetProperty("uploadsLeft").GetInt32());
        Assert.Equal("NoSuchUpload", resumed.GetProperty("cutUploadAfterwards").GetString());
        var resumedGet = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, $"{prefix}/resumed.bin")).Sign());
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(await resumedGet.Content.ReadAsByteArrayAsync()));

        var aborted = root.GetProperty("aborted");
        var part = aborted.GetProperty("partsBeforeAbort").EnumerateArray().Single();
        Assert.Equal(1, part.GetProperty("PartNumber").GetInt32());
        Assert.Equal(1024, part.GetProperty("Size").GetInt32());
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(Enumerable.Repeat((byte)7, 1024).ToArray()))}\"", part.GetProperty("ETag").GetString());
        Assert.Equal([$"{prefix}/aborted.bin"], aborted.GetProperty("uploadsBeforeAbort").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal("NoSuchUpload", aborted.GetProperty("listPartsAfterAbort").GetString());
        Assert.Equal("404", aborted.GetProperty("headAfterAbort").ToString());
        Assert.Equal(0, root.GetProperty("uploadsLeft").GetInt32());
    }

    [Fact]
    public async Task AbandonedUploads_AreSweptWithTheirParts_CompletedObjectsStay()
    {
        await using var gateway = await GatewayProcess.StartAsync(["--Multipart:AbandonAfter=00:00:02", "--Multipart:SweepInterval=00:00:00.5"]);
        async Task<string> InitiateAsync(string key) =>
            XElement.Parse(await (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.DataUrl, key + "?uploads")) { Content = new ByteArrayContent([]) }.Sign())).Content.ReadAsStringAsync())
                .Element("UploadId")!.Value;

        var uploadId = await InitiateAsync("swept/abandoned.bin");
        var put = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, $"swept/abandoned.bin?partNumber=1&uploadId={uploadId}")) { Content = new ByteArrayContent(new byte[5000]) }.Sign());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var kept = RandomNumberGenerator.GetBytes(100);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "swept/kept.bin")) { Content = new ByteArrayContent(kept) }.Sign())).StatusCode);

        var uploadsDirectory = Path.Combine(gateway.DataDirectory, "buckets", GatewayProcess.DefaultBucket, "uploads", "objects");
        Assert.Equal(2, Directory.EnumerateFiles(uploadsDirectory, "*.obj", SearchOption.AllDirectories).Count());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        string code;
        do
        {
            await Task.Delay(250);
            var list = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, $"swept/abandoned.bin?uploadId={uploadId}")).Sign());
            code = list.StatusCode == HttpStatusCode.OK ? "listed" : XElement.Parse(await list.Content.ReadAsStringAsync()).Element("Code")!.Value;
        }
        while ((code == "listed" || Directory.EnumerateFiles(uploadsDirectory, "*.obj", SearchOption.AllDirectories).Any()) && DateTime.UtcNow < deadline);

        Assert.Equal("NoSuchUpload", code);
        Assert.Empty(Directory.EnumerateFiles(uploadsDirectory, "*.obj", SearchOption.AllDirectories));
        Assert.True(await gateway.WaitForOutputAsync("abandoned multipart uploads", TimeSpan.FromSeconds(5)), gateway.Output);
        Assert.Equal(kept, await (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "swept/kept.bin"))).Content.ReadAsByteArrayAsync());
    }
}
