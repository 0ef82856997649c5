using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OriginGateway.Callbacks;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Vod;

/// <summary>A gateway with media buckets, an event receiver and fast tasks, for the VOD API (<c>02-tasks.md</c> §2.4).</summary>
public sealed class VodFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public WireMockOrigin Origin { get; private set; } = null!;

    /// <summary>A second origin host (HLS URIs on another host).</summary>
    public WireMockOrigin Other { get; private set; } = null!;

    public Tc3Client Api { get; private set; } = null!;

    /// <summary>The event notifications the gateway sent to <c>/events</c>: signature header and body.</summary>
    public IEnumerable<(string Signature, byte[] Body)> Events => Origin.Hits("/events").Select(h => (h.Headers[CallbackSignature.HeaderName], h.Body));

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        Origin = _servers.Add(WireMockOrigin.Start());
        Other = _servers.Add(WireMockOrigin.Start());
        Origin.Status("/events", 200);
        Gateway = await _servers.AddAsync(GatewayProcess.StartAsync(
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            "--Tasks:PollInterval=00:00:00.05",
            "--Tasks:RetryBase=00:00:00.05",
            "--Tasks:RetryCap=00:00:00.1",
            $"--Vod:EventCallbackUrl=http://{Origin.Host}/events",
            "--Buckets:1:Name=media-1250000000",
            "--Vod:RegionBuckets:ap-chongqing=media-1250000000",
        ]));
        Api = new Tc3Client(Gateway);
    });

    public async Task DisposeAsync() => await _servers.DisposeAsync();
}

public sealed class VodApiTests(VodFixture fixture) : IClassFixture<VodFixture>
{
    private Tc3Client Api => fixture.Api;

    private GatewayProcess Gateway => fixture.Gateway;

    private string Url(string path) => $"http://{fixture.Origin.Host}{path}";

    private static string Unique() => "/v/" + Guid.NewGuid().ToString("N");

    public static TheoryData<string, string> BadRequests => new()
    {
        { """{}""", "MissingParameter" },
        { """{"MediaUrl":"not a url"}""", "InvalidParameterValue.MediaUrl" },
        { """{"MediaUrl":"http://example.com/a.mpd"}""", "FailedOperation.MediaType" },
        { """{"MediaUrl":"http://example.com/a","MediaType":"exe"}""", "FailedOperation.MediaType" },
        { """{"MediaUrl":"http://example.com/a.mp4","CoverUrl":"http://example.com/c.bmp"}""", "FailedOperation.CoverType" },
        { """{"MediaUrl":"http://example.com/a.mp4","ExpireTime":"2001-01-01T00:00:00Z"}""", "InvalidParameterValue.ExpireTime" },
        { """{"MediaUrl":"http://example.com/a.mp4","ExpireTime":"tomorrow"}""", "InvalidParameterValue.ExpireTime" },
        { """{"MediaUrl":"http://example.com/a.mp4","StorageRegion":"mars-1"}""", "InvalidParameterValue.StorageRegion" },
        { """{"MediaUrl":"http://example.com/a.mp4","TasksPriority":11}""", "InvalidParameterValue" },
        { """{"MediaUrl":"http://example.com/a.mp4","SessionId":"012345678901234567890123456789012345678901234567890"}""", "InvalidParameterValue.SessionIdTooLong" },
        { $$"""{"MediaUrl":"http://example.com/a.mp4","SessionContext":"{{new string('c', 1001)}}"}""", "InvalidParameterValue.SessionContextTooLong" },
        { $$"""{"MediaUrl":"http://example.com/a.mp4","SourceContext":"{{new string('c', 251)}}"}""", "InvalidParameterValue.SourceContextTooLong" },
        { """{"MediaUrl":"http://example.com/a.mp4","MediaStoragePath":"a.mp4"}""", "InvalidParameterValue.MediaStoragePath" },
        { """{"MediaUrl":"http://example.com/a.mp4","SubAppId":"one"}""", "InvalidParameter" },
        { """{"MediaUrl":"http://example.com/a.mp4","SubAppId":42}""", "InvalidParameterValue.SubAppId" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task PullUpload_BadInput_HasTheSeedsErrorCode_WithHttp200(string body, string code)
    {
        var response = await Api.CallAsync("PullUpload", JsonSerializer.Deserialize<JsonElement>(body));
        Assert.Equal(code, Tc3Client.ErrorCode(response));
    }

    [Fact]
    public async Task Authentication_Errors()
    {
        Assert.Equal("AuthFailure.SignatureExpire", Tc3Client.ErrorCode(await new Tc3Client(Gateway) { ClockOffset = TimeSpan.FromMinutes(-6) }.CallAsync("DescribeTaskDetail", new { TaskId = "x" })));
        Assert.Equal("AuthFailure.SignatureFailure", Tc3Client.ErrorCode(await new Tc3Client(Gateway) { Service = "cvm" }.CallAsync("DescribeTaskDetail", new { TaskId = "x" })));
        Assert.Equal("AuthFailure.SignatureFailure", Tc3Client.ErrorCode(await new Tc3Client(Gateway, GatewayProcess.DevSecretId, "wrong").CallAsync("DescribeTaskDetail", new { TaskId = "x" })));
        Assert.Equal("AuthFailure.SecretIdNotFound", Tc3Client.ErrorCode(await new Tc3Client(Gateway, "AKIDNOBODY", "x").CallAsync("DescribeTaskDetail", new { TaskId = "x" })));
        Assert.Equal("NoSuchVersion", Tc3Client.ErrorCode(await new Tc3Client(Gateway) { Version = "2024-07-18" }.CallAsync("DescribeTaskDetail", new { TaskId = "x" })));
        Assert.Equal("InvalidAction", Tc3Client.ErrorCode(await Api.CallAsync("DeleteMedia", new { FileId = "1" })));

        var unsigned = await Gateway.Client.PostAsync(Gateway.ControlUrl, new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, unsigned.StatusCode);
        Assert.Contains("AuthFailure", await unsigned.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullUpload_CoverAndRegion_StoredInTheRegionsBucket_AndTheEventIsSigned()
    {
        var path = Unique();
        var media = RandomNumberGenerator.GetBytes(50_000);
        var cover = RandomNumberGenerator.GetBytes(2_000);
        fixture.Origin.Serve(path + "/movie", media, "video/mp4");
        fixture.Origin.Serve(path + "/poster", cover, "image/png");

        var submitted = await Api.CallAsync("PullUpload", new { MediaUrl = Url(path + "/movie"), CoverUrl = Url(path + "/poster"), StorageRegion = "ap-chongqing", SourceContext = "src-ctx", MediaStoragePath = path + "/stored.mp4" });
        Assert.Null(Tc3Client.ErrorCode(submitted));
        var detail = await Api.WaitAsync(submitted.GetProperty("TaskId").GetString()!);
        var task = detail.GetProperty("PullUploadTask");

        Assert.Equal(0, task.GetProperty("ErrCode").GetInt32());
        Assert.Equal("mp4", task.GetProperty("MediaBasicInfo").GetProperty("Type").GetString());
        var fileUrl = new Uri(task.GetProperty("FileUrl").GetString()!);
        Assert.Contains("/media-1250000000" + path + "/stored.mp4", fileUrl.AbsolutePath, StringComparison.Ordinal);
        Assert.Contains("q-signature=", fileUrl.Query, StringComparison.Ordinal);
        Assert.Equal(media, await Gateway.Client.GetByteArrayAsync(fileUrl));
        var coverUrl = new Uri(task.GetProperty("CoverUrl").GetString()!);
        Assert.EndsWith($"/{task.GetProperty("FileId").GetString()}/cover", coverUrl.AbsolutePath, StringComparison.Ordinal);
        var storedCover = await Gateway.Client.GetAsync(coverUrl);
        Assert.Equal(cover, await storedCover.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", storedCover.Content.Headers.ContentType!.MediaType);

        var fileId = task.GetProperty("FileId").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        (string Signature, byte[] Body) sent = default;
        while (DateTime.UtcNow < deadline && !fixture.Events.Any(e => Encoding.UTF8.GetString(e.Body).Contains(fileId, StringComparison.Ordinal)))
        {
            await Task.Delay(50);
        }
        sent = fixture.Events.Single(e => Encoding.UTF8.GetString(e.Body).Contains(fileId, StringComparison.Ordinal));
        Assert.True(CallbackSignature.Verify(TaskFixture.DevCallbackSecret, sent.Signature, sent.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        using var json = JsonDocument.Parse(sent.Body);
        Assert.Equal("NewFileUpload", json.RootElement.GetProperty("EventType").GetString());
        var upload = json.RootElement.GetProperty("FileUploadEvent");
        Assert.Equal(fileId, upload.GetProperty("FileId").GetString());
        Assert.Equal("src-ctx", upload.GetProperty("SourceContext").GetString());
        Assert.Equal(media.Length, upload.GetProperty("MediaBasicInfo").GetProperty("Size").GetInt64());
    }

    [Fact]
    public async Task PullUpload_WithoutAMediaTypeOrExtension_TheContentTypeDecides()
    {
        var path = Unique();
        fixture.Origin.Serve(path + "/page", "<html></html>"u8.ToArray(), "text/html");

        var submitted = await Api.CallAsync("PullUpload", new { MediaUrl = Url(path + "/page") });
        var task = (await Api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");

        Assert.Equal(40000, task.GetProperty("ErrCode").GetInt32());
        Assert.Equal("", task.GetProperty("FileUrl").GetString());
    }

    [Fact]
    public async Task PullUpload_CoverOfTheWrongType_Fails_AndNothingIsStored()
    {
        var path = Unique();
        fixture.Origin.Serve(path + "/a.mp4", RandomNumberGenerator.GetBytes(1000), "video/mp4");
        fixture.Origin.Serve(path + "/cover", "text"u8.ToArray(), "text/plain");

        var submitted = await Api.CallAsync("PullUpload", new { MediaUrl = Url(path + "/a.mp4"), CoverUrl = Url(path + "/cover"), MediaStoragePath = path + "/a.mp4" });
        var task = (await Api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");

        Assert.Equal(40000, task.GetProperty("ErrCode").GetInt32());
        Assert.Contains("CoverType", task.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, fixture.Origin.Count(path + "/a.mp4"));
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.GetAsync(new Uri(Gateway.DataUrl, path.TrimStart('/') + "/a.mp4"))).StatusCode);
    }

    [Fact]
    public async Task PullUpload_ExpireTime_DeletesTheMediaAndCover()
    {
        var path = Unique();
        fixture.Origin.Serve(path + "/short.mp4", RandomNumberGenerator.GetBytes(1000), "video/mp4");
        fixture.Origin.Serve(path + "/c.jpg", RandomNumberGenerator.GetBytes(100), "image/jpeg");
        // Far enough ahead that the pull has finished and the media is still there when the test looks under load; the
        // expiry is cut to whole seconds, so "now + 3 s" could be barely two.
        var expire = DateTimeOffset.UtcNow.AddSeconds(8).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var submitted = await Api.CallAsync("PullUpload", new { MediaUrl = Url(path + "/short.mp4"), CoverUrl = Url(path + "/c.jpg"), ExpireTime = expire });
        var task = (await Api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");
        var media = new Uri(task.GetProperty("FileUrl").GetString()!);
        var cover = new Uri(task.GetProperty("CoverUrl").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.GetAsync(media)).StatusCode);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await Gateway.Client.GetAsync(media)).StatusCode != HttpStatusCode.NotFound && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.GetAsync(media)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.GetAsync(cover)).StatusCode);
    }

    [Fact]
    public async Task PullUpload_Hls_IsPulledWhole_AndEveryStoredUriResolvesToTheOriginsBytes()
    {
        var path = Unique();
        var origin = fixture.Origin;
        var files = new Dictionary<string, byte[]>();
        void File(WireMockOrigin host, string filePath, byte[] body)
        {
            files[$"http://{host.Host}{filePath}"] = body;
            host.Serve(filePath, body, "application/octet-stream");
        }
        var key = RandomNumberGenerator.GetBytes(16);
        File(fixture.Other, path + "/keys/k1.key", key);
        File(origin, path + "/hls/low/init.mp4", RandomNumberGenerator.GetBytes(300));
        for (var i = 0; i < 3; i++)
        {
            File(origin, $"{path}/hls/low/seg{i}.ts", RandomNumberGenerator.GetBytes(5_000 + i));
            File(origin, $"{path}/hls/high/seg{i}.ts", RandomNumberGenerator.GetBytes(9_000 + i));
        }
        File(fixture.Other, path + "/cdn/extra.ts", RandomNumberGenerator.GetBytes(4_000));
        origin.Serve(path + "/hls/master.m3u8", Encoding.UTF8.GetBytes($"""
            #EXTM3U
            #EXT-X-STREAM-INF:BANDWIDTH=500000
            low/index.m3u8?token=abc
            #EXT-X-STREAM-INF:BANDWIDTH=1500000
            http://{origin.Host}{path}/hls/high/index.m3u8
            """), "application/vnd.apple.mpegurl");
        origin.Serve(path + "/hls/low/index.m3u8", Encoding.UTF8.GetBytes($"""
            #EXTM3U
            #EXT-X-TARGETDURATION:4
            #EXT-X-KEY:METHOD=AES-128,URI="http://{fixture.Other.Host}{path}/keys/k1.key"
            #EXT-X-MAP:URI="init.mp4"
            #EXTINF:4.0,
            seg0.ts?sig=1
            #EXTINF:4.0,
            seg1.ts
            #EXTINF:4.0,
            /{path.TrimStart('/')}/hls/low/seg2.ts
            #EXT-X-ENDLIST
            """), "application/vnd.apple.mpegurl");
        origin.Serve(path + "/hls/high/index.m3u8", Encoding.UTF8.GetBytes($"""
            #EXTM3U
            #EXT-X-TARGETDURATION:4
            #EXTINF:4.0,
            seg0.ts
            #EXTINF:4.0,
            ../high/seg1.ts
            #EXTINF:4.0,
            seg2.ts
            #EXTINF:4.0,
            http://{fixture.Other.Host}{path}/cdn/extra.ts
            #EXT-X-ENDLIST
            """), "application/vnd.apple.mpegurl");

        var submitted = await Api.CallAsync("PullUpload", new { MediaUrl = Url(path + "/hls/master.m3u8") });
        var task = (await Api.WaitAsync(submitted.GetProperty("TaskId").GetString()!)).GetProperty("PullUploadTask");
        Assert.True(task.GetProperty("ErrCode").GetInt32() == 0, task.ToString());
        Assert.Equal("m3u8", task.GetProperty("MediaBasicInfo").GetProperty("Type").GetString());

        // Walk the stored stream from FileUrl: every URI of every playlist resolves to a stored object with the origin's bytes.
        var master = new Uri(task.GetProperty("FileUrl").GetString()!);
        var seen = new HashSet<string>();
        var playlists = new Queue<Uri>([master]);
        var stored = new List<byte[]>();
        while (playlists.TryDequeue(out var playlist))
        {
            var text = await Gateway.Client.GetStringAsync(playlist);
            Assert.StartsWith("#EXTM3U", text, StringComparison.Ordinal);
            foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
            {
                var uris = line.StartsWith('#')
                    ? System.Text.RegularExpressions.Regex.Matches(line, "URI=\"([^\"]+)\"").Select(m => m.Groups[1].Value)
                    : [line];
                foreach (var uri in uris)
                {
                    Assert.False(Uri.IsWellFormedUriString(uri, UriKind.Absolute), $"absolute URI left in a stored playlist: {uri}");
                    var resolved = new Uri(playlist, uri);
                    Assert.Equal(Gateway.DataUrl.Authority, resolved.Authority);
                    if (!seen.Add(resolved.AbsolutePath))
                    {
                        continue;
                    }
                    if (resolved.AbsolutePath.EndsWith(".m3u8", StringComparison.Ordinal))
                    {
                        playlists.Enqueue(resolved);
                        continue;
                    }
                    var response = await Gateway.Client.GetAsync(resolved);
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{resolved} from {playlist}: {response.StatusCode}");
                    stored.Add(await response.Content.ReadAsByteArrayAsync());
                }
            }
        }
        Assert.Equal(files.Count, stored.Count);
        foreach (var body in files.Values)
        {
            Assert.Contains(stored, s => s.AsSpan().SequenceEqual(body));
        }
        Assert.Contains(seen, p => p.Contains("/_ext/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DescribeTaskDetail_UnknownTask_IsResourceNotFound()
    {
        Assert.Equal("ResourceNotFound", Tc3Client.ErrorCode(await Api.CallAsync("DescribeTaskDetail", new { TaskId = "AAAAAAAAAAAAAAAAAAAAAA" })));
        Assert.Equal("MissingParameter", Tc3Client.ErrorCode(await Api.CallAsync("DescribeTaskDetail", new { })));
    }
}

/// <summary>More than Vod:RequestsPerSecond requests in a second → RequestLimitExceeded, still HTTP 200.</summary>
public sealed class VodRateLimitTests
{
    [Fact]
    public async Task AboveTheLimit_RequestLimitExceeded()
    {
        await using var gateway = await GatewayProcess.StartAsync(["--Vod:RequestsPerSecond=3"]);
        var api = new Tc3Client(gateway);

        var codes = new List<string?>();
        for (var i = 0; i < 12; i++)
        {
            codes.Add(Tc3Client.ErrorCode(await api.CallAsync("DescribeTaskDetail", new { TaskId = "x" })));
        }

        Assert.Contains("RequestLimitExceeded", codes);
        Assert.Contains("ResourceNotFound", codes);
    }
}
