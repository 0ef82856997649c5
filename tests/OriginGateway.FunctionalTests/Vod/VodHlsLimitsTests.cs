using System.Net;
using System.Security.Cryptography;
using System.Text;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Vod;

/// <summary>
/// A pull that cannot be whole leaves nothing behind: an HLS stream over Vod:MaxHlsFiles, a segment that fails for good, a
/// playlist whose origin stalls part-way (bounded by OriginPull:BodyIdleTimeout, 1 s here, like any origin body), an origin
/// answer whose framing lies — and its ErrCode puts the fault at the source (60000), not at the service (70000).
/// </summary>
public sealed class VodHlsLimitsTests : IAsyncLifetime
{
    private WireMockOrigin _origin = null!;
    private RawOrigin _raw = null!;
    private GatewayProcess _gateway = null!;
    private Tc3Client _api = null!;

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        _origin = _servers.Add(WireMockOrigin.Start());
        _raw = _servers.Add(new RawOrigin());
        _gateway = await _servers.AddAsync(GatewayProcess.StartAsync(["--Egress:AllowedNetworks:0=127.0.0.1/32", "--Tasks:PollInterval=00:00:00.05", "--Vod:MaxHlsFiles=4",
            "--OriginPull:BodyIdleTimeout=00:00:01", "--Tasks:MaxAttempts=2", "--Tasks:RetryBase=00:00:00.2"]));
        _api = new Tc3Client(_gateway);
    });

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    private void Stream(string directory, int segments, int missing = -1)
    {
        var playlist = new StringBuilder("#EXTM3U\n#EXT-X-TARGETDURATION:4\n");
        for (var i = 0; i < segments; i++)
        {
            playlist.Append("#EXTINF:4.0,\n").Append($"seg{i}.ts\n");
            if (i != missing)
            {
                _origin.Serve($"{directory}/seg{i}.ts", RandomNumberGenerator.GetBytes(2_000));
            }
        }
        _origin.Serve($"{directory}/master.m3u8", Encoding.UTF8.GetBytes(playlist.Append("#EXT-X-ENDLIST\n").ToString()), "application/vnd.apple.mpegurl");
    }

    [Fact]
    public async Task OverMaxHlsFiles_Fails_WithoutFetchingASegment()
    {
        var directory = "/big/" + Guid.NewGuid().ToString("N");
        Stream(directory, 6);

        var submitted = await _api.CallAsync("PullUpload", new { MediaUrl = $"http://{_origin.Host}{directory}/master.m3u8", MediaStoragePath = directory + "/master.m3u8" });
        var task = (await _api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");

        Assert.Equal(40000, task.GetProperty("ErrCode").GetInt32());
        Assert.Contains("TooManyFiles", task.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _origin.Count($"{directory}/seg0.ts"));
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, directory.TrimStart('/') + "/master.m3u8"))).StatusCode);
    }

    [Fact]
    public async Task ASegmentThatFailsForGood_RemovesWhatWasStored()
    {
        var directory = "/broken/" + Guid.NewGuid().ToString("N");
        Stream(directory, 3, missing: 2);

        var submitted = await _api.CallAsync("PullUpload", new { MediaUrl = $"http://{_origin.Host}{directory}/master.m3u8", MediaStoragePath = directory + "/master.m3u8" });
        var task = (await _api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");

        Assert.Equal(60000, task.GetProperty("ErrCode").GetInt32());
        Assert.Equal(1, _origin.Count($"{directory}/seg0.ts"));
        foreach (var name in new[] { "seg0.ts", "seg1.ts", "master.m3u8" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, directory.TrimStart('/') + "/" + name))).StatusCode);
        }
    }

    [Fact]
    public async Task APlaylistWhoseOriginStallsPartWay_FailsAsOriginTimeout_AfterTheIdleTimeout_StoringNothing()
    {
        // The origin sends the playlist's headers and its first lines, then nothing for 20 s on each attempt. Every attempt
        // gives up after the idle timeout (1 s), so both attempts end well before the origin would close the connection.
        var directory = "/stall/" + Guid.NewGuid().ToString("N");
        var head = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\n"u8.ToArray();
        _raw.On(directory + "/master.m3u8", async stream =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.apple.mpegurl\r\nContent-Length: {head.Length + 100}\r\n\r\n"));
            await stream.WriteAsync(head);
            await stream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(20));
        });

        var submitted = await _api.CallAsync("PullUpload", new { MediaUrl = $"http://{_raw.Host}{directory}/master.m3u8", MediaStoragePath = directory + "/master.m3u8" });
        var task = (await _api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");

        Assert.Equal(60000, task.GetProperty("ErrCode").GetInt32());
        Assert.StartsWith("OriginTimeout:", task.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, _raw.Count(directory + "/master.m3u8"));
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, directory.TrimStart('/') + "/master.m3u8"))).StatusCode);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 5\nContent-Length: 6\nConnection: close", "hello!", "ConflictingContentLength")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 5\nTransfer-Encoding: chunked\nConnection: close", "5\r\nhello\r\n0\r\n\r\n", "ContentLengthWithTransferEncoding")]
    [InlineData("HTTP/1.1 206 Partial Content\nContent-Range: bytes 0-4/100\nContent-Length: 5\nConnection: close", "hello", "UnexpectedPartialContent")]
    public async Task AnOriginAnswerThatCannotBeStoredWhole_IsASourceError(string head, string body, string reason)
    {
        var path = "/lying/" + Guid.NewGuid().ToString("N") + "/movie.mp4";
        _raw.Reply(path, head, Encoding.ASCII.GetBytes(body));

        var submitted = await _api.CallAsync("PullUpload", new { MediaUrl = $"http://{_raw.Host}{path}", MediaStoragePath = path });
        var task = (await _api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");

        Assert.Equal(60000, task.GetProperty("ErrCode").GetInt32());
        Assert.StartsWith(reason + ":", task.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, path.TrimStart('/')))).StatusCode);
    }
}
