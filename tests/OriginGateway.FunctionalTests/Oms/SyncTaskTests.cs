using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Storage;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace OriginGateway.FunctionalTests.Oms;

/// <summary>OMS-style sync tasks against a real S3-compatible server and a scripted URL-list origin (<c>02-tasks.md</c> §2.5).</summary>
public sealed class SyncTaskTests : IAsyncLifetime
{
    private const string Project = "proj-1";
    private const string Token = "oms-token-for-tests";
    private const string SourceBucket = "src-bucket";
    private const string CdnKey = "cdn-secret-key-7f3a";

    private S3Server _s3 = null!;
    private WireMockOrigin _origin = null!;
    private RawOrigin _raw = null!;
    private GatewayProcess _gateway = null!;

    private static readonly string[] Settings =
    [
        $"--Oms:Tokens:{Project}=" + Token,
        "--Tasks:PollInterval=00:00:00.05",
        "--Tasks:Workers=4",
        "--Tasks:PerHostLimit=4",
        "--OriginPull:BodyIdleTimeout=00:00:02",
    ];

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        _s3 = await _servers.AddAsync(S3Server.StartAsync(SourceBucket));
        _origin = _servers.Add(WireMockOrigin.Start());
        _raw = _servers.Add(new RawOrigin());
        _gateway = await _servers.AddAsync(GatewayProcess.StartAsync(Settings));
    });

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Json)> CallAsync(HttpMethod method, string path, object? body = null, string? token = Token, GatewayProcess? gateway = null)
    {
        gateway ??= _gateway;
        using var request = new HttpRequestMessage(method, new Uri(gateway.ControlUrl, $"v2/{Project}/sync-tasks{path}"));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Auth-Token", token);
        }
        using var response = await gateway.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    private object S3Task(string prefix, int interval = 1, bool metadata = false) => new
    {
        src_cloud_type = "AWS",
        src_endpoint = _s3.Endpoint,
        src_region = "us-east-1",
        src_bucket = SourceBucket,
        src_prefix = prefix,
        src_ak = S3Server.AccessKey,
        src_sk = S3Server.SecretKey,
        dst_bucket = GatewayProcess.DefaultBucket,
        dst_prefix = "synced/" + prefix,
        dst_ak = GatewayProcess.DevSecretId,
        dst_sk = GatewayProcess.DevSecretKey,
        description = "test",
        sync_interval = interval,
        enable_metadata_migration = metadata,
    };

    /// <summary>A task whose S3 source is the raw origin (its listing scripted there), read once an hour.</summary>
    private object RawS3Task(string bucket, string destinationPrefix) => new
    {
        src_cloud_type = "AWS",
        src_endpoint = $"http://{_raw.Host}",
        src_region = "us-east-1",
        src_bucket = bucket,
        src_prefix = "",
        src_ak = S3Server.AccessKey,
        src_sk = S3Server.SecretKey,
        dst_bucket = GatewayProcess.DefaultBucket,
        dst_prefix = destinationPrefix,
        dst_ak = GatewayProcess.DevSecretId,
        dst_sk = GatewayProcess.DevSecretKey,
        description = "a scripted source",
        sync_interval = 3600,
    };

    /// <summary>A task over one new object of the real S3 source: created now, its first pass copies the object.</summary>
    private async Task AHealthyTaskCopiesItsObjectAsync(string run)
    {
        var prefix = $"p{run}/";
        var body = RandomNumberGenerator.GetBytes(3_000);
        await _s3.PutAsync(SourceBucket, prefix + "healthy.bin", body);
        var (_, healthy) = await CallAsync(HttpMethod.Post, "", S3Task(prefix, interval: 3600));
        await WaitAsync(healthy.GetProperty("id").GetString()!, t => t.GetProperty("object_synchronized_num").GetInt64() == 1);
        Assert.Equal(body, await ObjectAsync($"synced/{prefix}healthy.bin"));
    }

    /// <summary>A URL-list task read once an hour (only its first pass runs within a test).</summary>
    private static object UrlListTask(string listUrl, string prefix, string? cdnKey = null) => new
    {
        src_cloud_type = "URLList",
        src_endpoint = listUrl,
        dst_bucket = GatewayProcess.DefaultBucket,
        dst_prefix = prefix,
        dst_ak = GatewayProcess.DevSecretId,
        dst_sk = GatewayProcess.DevSecretKey,
        source_cdn_authentication_key = cdnKey,
        sync_interval = 3600,
    };

    private async Task<JsonElement> WaitAsync(string id, Func<JsonElement, bool> until, GatewayProcess? gateway = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (status, json) = await CallAsync(HttpMethod.Get, "/" + id, gateway: gateway);
            Assert.Equal(HttpStatusCode.OK, status);
            if (until(json))
            {
                return json;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"sync task {id}: {json}\n{(gateway ?? _gateway).Output}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the created task's first pass has copied or failed every object, then checks how many of each.</summary>
    private async Task<JsonElement> CopiesSettledAsync(JsonElement created, int synchronized, int failed)
    {
        var done = await WaitAsync(created.GetProperty("id").GetString()!,
            t => t.GetProperty("object_synchronized_num").GetInt64() + t.GetProperty("object_failed_num").GetInt64() == synchronized + failed);
        Assert.True(done.GetProperty("object_synchronized_num").GetInt64() == synchronized && done.GetProperty("object_failed_num").GetInt64() == failed, done.ToString());
        return done;
    }

    /// <summary>The gateway's count of sync passes with <paramref name="outcome"/>, from <c>/metrics</c>.</summary>
    private async Task<double> PassesAsync(string outcome) =>
        PrometheusText.Sum(await _gateway.Client.GetStringAsync(new Uri(_gateway.ControlUrl, "metrics")), "origin_gateway_sync_passes_total{", $"outcome=\"{outcome}\"");

    private async Task<byte[]> ObjectAsync(string key, GatewayProcess? gateway = null)
    {
        gateway ??= _gateway;
        var response = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, key));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{key}: {response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    [Fact]
    public async Task S3Source_FullPassThenEveryInterval_CopiesNewAndChanged_SkipsUnchanged()
    {
        var prefix = $"p{Guid.NewGuid():N}/";
        var a = RandomNumberGenerator.GetBytes(10_000);
        var b = RandomNumberGenerator.GetBytes(20_000);
        var c = RandomNumberGenerator.GetBytes(30_000);
        await _s3.PutAsync(SourceBucket, prefix + "a.bin", a);
        await _s3.PutAsync(SourceBucket, prefix + "dir/b.bin", b);
        await _s3.PutAsync(SourceBucket, prefix + "c.bin", c);
        await _s3.PutAsync(SourceBucket, "elsewhere/x.bin", a);

        var completedBefore = await PassesAsync("completed");
        var (status, created) = await CallAsync(HttpMethod.Post, "", S3Task(prefix));
        Assert.True(status == HttpStatusCode.OK, created.ToString());
        var id = created.GetProperty("id").GetString()!;
        var first = await WaitAsync(id, t => t.GetProperty("object_synchronized_num").GetInt64() == 3);
        Assert.True(await PassesAsync("completed") >= completedBefore + 1, "origin_gateway_sync_passes_total{outcome=\"completed\"} did not count the pass");
        Assert.Equal("SYNCHRONIZING", first.GetProperty("status").GetString());
        Assert.Equal(60_000, first.GetProperty("object_synchronized_size").GetInt64());
        Assert.Equal(a, await ObjectAsync($"synced/{prefix}a.bin"));
        Assert.Equal(b, await ObjectAsync($"synced/{prefix}dir/b.bin"));
        Assert.Equal(c, await ObjectAsync($"synced/{prefix}c.bin"));

        // Next passes: a new object and a changed one are copied; the rest is skipped.
        var changed = RandomNumberGenerator.GetBytes(11_000);
        var added = RandomNumberGenerator.GetBytes(5_000);
        await _s3.PutAsync(SourceBucket, prefix + "a.bin", changed);
        await _s3.PutAsync(SourceBucket, prefix + "d.bin", added);
        var later = await WaitAsync(id, t => t.GetProperty("object_synchronized_num").GetInt64() == 5 && t.GetProperty("object_skipped_num").GetInt64() >= 2);
        Assert.Equal(changed, await ObjectAsync($"synced/{prefix}a.bin"));
        Assert.Equal(added, await ObjectAsync($"synced/{prefix}d.bin"));
        Assert.True(later.GetProperty("object_listed_num").GetInt64() >= 7);
        Assert.Equal(0, later.GetProperty("object_failed_num").GetInt64());

        // The keys are nowhere: not in answers, the database, or the log.
        var (_, list) = await CallAsync(HttpMethod.Get, "?limit=10&offset=0");
        foreach (var text in new[] { list.ToString(), later.ToString(), _gateway.Output, DatabaseText(_gateway) })
        {
            Assert.DoesNotContain(S3Server.SecretKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(GatewayProcess.DevSecretKey, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task S3Source_KeysWithSpacesUnicodeAndReservedCharacters_AndAnEmptyObject_AreCopiedUnderTheSameKeys()
    {
        // Each copy is a presigned GET: the key's encoding in its path must be the one that was signed, or the source
        // refuses it. Keys a migrating team really has: spaces, non-ASCII letters, '+', '~', parentheses, '=', ',', '%'.
        // (Not '&', '<' or '>': s3rver escapes them twice in its listings — "&amp;amp;" — and every client, boto3 too, then
        // lists a key that does not exist.)
        var prefix = $"k{Guid.NewGuid():N}/";
        string[] names = ["a b.bin", "dir with space/ünïcødé.bin", "plus+sign.bin", "tilde~(1).bin", "eq=a,b.bin", "percent%41.bin", "日本語/ファイル.txt"];
        var bodies = names.ToDictionary(n => n, _ => RandomNumberGenerator.GetBytes(2_000));
        names = [.. names, "empty.bin"];
        bodies["empty.bin"] = [];
        foreach (var (name, body) in bodies)
        {
            await _s3.PutAsync(SourceBucket, prefix + name, body);
        }

        var (status, created) = await CallAsync(HttpMethod.Post, "", S3Task(prefix, interval: 3600));
        Assert.True(status == HttpStatusCode.OK, created.ToString());
        await CopiesSettledAsync(created, synchronized: names.Length, failed: 0);

        foreach (var (name, body) in bodies)
        {
            var key = "synced/" + prefix + string.Join('/', name.Split('/').Select(Uri.EscapeDataString));
            Assert.Equal(body, await ObjectAsync(key));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task S3Source_MetadataGoesWithTheCopy_OnlyWithMetadataMigration_TheContentTypeAlways(bool migration)
    {
        // OMS's enable_metadata_migration: off (the default), only the Content-Type is migrated.
        var prefix = $"m{Guid.NewGuid():N}/";
        var body = RandomNumberGenerator.GetBytes(1_500);
        using (var client = _s3.Client())
        {
            var put = new Amazon.S3.Model.PutObjectRequest
            {
                BucketName = SourceBucket, Key = prefix + "page.html", InputStream = new MemoryStream(body), ContentType = "text/html", UseChunkEncoding = false,
            };
            put.Metadata.Add("color", "blue");
            put.Headers.CacheControl = "max-age=60";
            put.Headers.ContentDisposition = "attachment; filename=\"page.html\"";
            await client.PutObjectAsync(put);
        }

        var (_, created) = await CallAsync(HttpMethod.Post, "", S3Task(prefix, interval: 3600, metadata: migration));
        await CopiesSettledAsync(created, synchronized: 1, failed: 0);

        using var copy = await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, $"synced/{prefix}page.html"));
        Assert.Equal(body, await copy.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/html", copy.Content.Headers.ContentType?.MediaType);
        Assert.Equal(migration ? "blue" : null, copy.Headers.TryGetValues("x-cos-meta-color", out var color) ? color.Single() : null);
        Assert.Equal(migration ? "max-age=60" : null, copy.Headers.CacheControl?.ToString());
        Assert.Equal(migration ? "attachment" : null, copy.Content.Headers.ContentDisposition?.DispositionType);
    }

    [Fact]
    public async Task S3Source_AKeyLongerThanTheGatewaysLimit_FailsItsCopyOnce_AndTheRestAreCopied()
    {
        var prefix = $"l{Guid.NewGuid():N}/";
        var longName = string.Join('/', Enumerable.Repeat(new string('k', 180), 5)) + ".bin";
        var body = RandomNumberGenerator.GetBytes(1_000);
        await _s3.PutAsync(SourceBucket, prefix + longName, body);
        await _s3.PutAsync(SourceBucket, prefix + "short.bin", body);

        var (_, created) = await CallAsync(HttpMethod.Post, "", S3Task(prefix, interval: 3600));
        var done = await CopiesSettledAsync(created, synchronized: 1, failed: 1);

        Assert.Contains("KeyTooLong", done.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(body, await ObjectAsync($"synced/{prefix}short.bin"));
    }

    [Fact]
    public async Task UrlList_AnEntryWhoseKeyHasAControlCharacter_FailsItsCopyOnce_StoringNothingUnderIt()
    {
        // "%0A" in a URL's path decodes to a line feed: a key the object API refuses, so an object under it could be neither
        // read nor deleted. That one copy fails for good; the list's other entry is copied.
        var run = Guid.NewGuid().ToString("N");
        var body = RandomNumberGenerator.GetBytes(1_000);
        _origin.Serve($"/{run}/ok.bin", body);
        _origin.Serve($"/{run}/bad\n.bin", body);
        _origin.Serve($"/{run}/list.txt", Encoding.UTF8.GetBytes($"http://{_origin.Host}/{run}/ok.bin\nhttp://{_origin.Host}/{run}/bad%0A.bin\n"));

        var (_, created) = await CallAsync(HttpMethod.Post, "", UrlListTask($"http://{_origin.Host}/{run}/list.txt", "controls/"));
        var done = await CopiesSettledAsync(created, synchronized: 1, failed: 1);

        Assert.EndsWith(": InvalidArgument", done.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(body, await ObjectAsync($"controls/{run}/ok.bin"));
        Assert.Equal(0, _origin.Count($"/{run}/bad\n.bin"));
    }

    [Fact]
    public async Task UrlList_WhoseOriginStallsPartWay_FailsThePassAsOriginTimeout_AndCopiesNothingOfTheHalfList()
    {
        // The list's origin sends its first line and then nothing for 40 s. The pass gives up after the idle timeout (2 s here)
        // and says so; the one URL that did arrive is not acted on, since a list cut short is not the list.
        var run = Guid.NewGuid().ToString("N");
        _origin.Serve($"/{run}/a.bin", RandomNumberGenerator.GetBytes(1_000));
        var first = Encoding.ASCII.GetBytes($"http://{_origin.Host}/{run}/a.bin\n");
        _raw.On($"/{run}/list.txt", async stream =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {first.Length + 200}\r\n\r\n"));
            await stream.WriteAsync(first);
            await stream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(40));
        });

        var (status, created) = await CallAsync(HttpMethod.Post, "", UrlListTask($"http://{_raw.Host}/{run}/list.txt", "stalled/"));
        Assert.True(status == HttpStatusCode.OK, created.ToString());
        var task = await WaitAsync(created.GetProperty("id").GetString()!, t => t.TryGetProperty("last_error", out _));

        Assert.Contains("OriginTimeout", task.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, task.GetProperty("object_listed_num").GetInt64());
        Assert.Equal(0, task.GetProperty("object_synchronized_num").GetInt64());
        Assert.Equal(0, _origin.Count($"/{run}/a.bin"));
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, $"stalled/{run}/a.bin"))).StatusCode);
    }

    [Fact]
    public async Task S3Source_WhoseListingStallsPartWay_FailsThePassAsOriginTimeout_AndTheNextTaskStillRuns()
    {
        // The source answers the listing with its headers and the start of a page, then nothing for 60 s. Every read of it is
        // under the idle clock (2 s here): the pass fails and says why instead of holding this replica's passes, which run one
        // after another, for as long as the source keeps the connection open.
        var run = Guid.NewGuid().ToString("N");
        var bucket = "stalled-" + run[..8];
        var start = Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" + bucket + "</Name><Contents><Key>a.bin</Key>");
        Func<System.Net.Sockets.NetworkStream, Task> stall = async stream =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {start.Length + 500}\r\n\r\n"));
            await stream.WriteAsync(start);
            await stream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(60));
        };
        _raw.On("/" + bucket, stall);
        _raw.On("/" + bucket + "/", stall);
        var stalled = RawS3Task(bucket, $"stalled-s3/{run}/");
        var failedBefore = await PassesAsync("failed");

        var (status, created) = await CallAsync(HttpMethod.Post, "", stalled);
        Assert.True(status == HttpStatusCode.OK, created.ToString());
        var task = await WaitAsync(created.GetProperty("id").GetString()!, t => t.TryGetProperty("last_error", out _));
        Assert.Equal("TimeoutException: OriginTimeout: nothing arrived from the source for 2 s", task.GetProperty("last_error").GetString());
        Assert.True(await PassesAsync("failed") >= failedBefore + 1, "origin_gateway_sync_passes_total{outcome=\"failed\"} did not count the pass");
        Assert.Equal(0, task.GetProperty("object_listed_num").GetInt64());
        Assert.Equal(0, task.GetProperty("object_synchronized_num").GetInt64());

        // A healthy task created after it is served while the stalled source still holds its connection open.
        await AHealthyTaskCopiesItsObjectAsync(run);
    }

    [Fact]
    public async Task S3Source_ThatListsSlowly_HoldsUpOnlyItsOwnTask_AndIsReadWhole()
    {
        // The source's listing comes in twelve pieces a second apart: slow but never stalled past the idle clock (2 s here).
        // Another task's pass runs meanwhile; the slow listing is read whole in the end, and its one object copied.
        var run = Guid.NewGuid().ToString("N");
        var bucket = "slow-" + run[..8];
        var listing = Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" + bucket +
            "</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>slow.bin</Key>" +
            "<LastModified>2026-12-01T00:00:00.000Z</LastModified><ETag>\"5d41402abc4b2a76b9719d911017c592\"</ETag><Size>5</Size>" +
            "<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>");
        var pieces = listing.Chunk((listing.Length + 11) / 12).ToList();
        var head = $"HTTP/1.1 200 OK\nContent-Type: application/xml\nContent-Length: {listing.Length}";
        _raw.Paced("/" + bucket, head, pieces, TimeSpan.FromSeconds(1));
        _raw.Paced("/" + bucket + "/", head, pieces, TimeSpan.FromSeconds(1));
        _raw.Reply($"/{bucket}/slow.bin", "HTTP/1.1 200 OK\nContent-Length: 5\nETag: \"5d41402abc4b2a76b9719d911017c592\"", Encoding.ASCII.GetBytes("hello"));
        var slowTask = RawS3Task(bucket, $"slow-s3/{run}/");
        var (_, slow) = await CallAsync(HttpMethod.Post, "", slowTask);
        var slowId = slow.GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_raw.Count("/" + bucket) + _raw.Count("/" + bucket + "/") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the slow source was never asked for its listing");
            await Task.Delay(50);
        }

        await AHealthyTaskCopiesItsObjectAsync(run);
        var (_, meanwhile) = await CallAsync(HttpMethod.Get, "/" + slowId);
        Assert.Equal(0, meanwhile.GetProperty("object_listed_num").GetInt64());
        Assert.False(meanwhile.TryGetProperty("last_error", out _), meanwhile.ToString());

        var done = await WaitAsync(slowId, t => t.GetProperty("object_synchronized_num").GetInt64() == 1);
        Assert.Equal(1, done.GetProperty("object_listed_num").GetInt64());
        Assert.False(done.TryGetProperty("last_error", out _), done.ToString());
        Assert.Equal("hello", Encoding.ASCII.GetString(await ObjectAsync($"slow-s3/{run}/slow.bin")));
    }

    /// <summary>Every byte of the control database and its WAL, as text.</summary>
    private static string DatabaseText(GatewayProcess gateway) =>
        string.Concat(Directory.GetFiles(gateway.DataDirectory, "control.db*").Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return Encoding.Latin1.GetString(buffer.ToArray());
        }));

    [Fact]
    public async Task UrlList_WithCdnTypeASigning_StoresUnderTheListedKeys()
    {
        var run = Guid.NewGuid().ToString("N");
        var a = RandomNumberGenerator.GetBytes(7_000);
        var b = RandomNumberGenerator.GetBytes(8_000);
        foreach (var (path, body) in new[] { ($"/{run}/files/a.bin", a), ($"/{run}/files/b.bin", b) })
        {
            // CDN type-A: auth_key=<timestamp>-<rand>-0-<md5("/path-timestamp-rand-0-key")>; the origin checks it, as a CDN would
            _origin.Server.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(Response.Create().WithCallback(request =>
            {
                var parts = (request.Query?.TryGetValue("auth_key", out var value) == true ? value.ToString() : "").Split('-');
                var expected = parts.Length == 4 ? Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"{path}-{parts[0]}-{parts[1]}-0-{CdnKey}"))) : "";
                return parts.Length == 4 && parts[2] == "0" && parts[3] == expected
                    ? new ResponseMessage { StatusCode = 200, BodyData = new BodyData { DetectedBodyType = BodyType.Bytes, BodyAsBytes = body } }
                    : new ResponseMessage { StatusCode = 403 };
            }));
        }
        _origin.Serve($"/{run}/list.txt", Encoding.UTF8.GetBytes($"http://{_origin.Host}/{run}/files/a.bin\nhttp://{_origin.Host}/{run}/files/b.bin\tcustom/{run}/b.bin\n"));

        var (status, created) = await CallAsync(HttpMethod.Post, "", UrlListTask($"http://{_origin.Host}/{run}/list.txt", "fromlist/", CdnKey));
        Assert.True(status == HttpStatusCode.OK, created.ToString());
        var id = created.GetProperty("id").GetString()!;
        await WaitAsync(id, t => t.GetProperty("object_synchronized_num").GetInt64() == 2);

        Assert.Equal(a, await ObjectAsync($"fromlist/{run}/files/a.bin"));
        Assert.Equal(b, await ObjectAsync($"fromlist/custom/{run}/b.bin"));
        Assert.DoesNotContain(CdnKey, DatabaseText(_gateway), StringComparison.Ordinal);
        Assert.DoesNotContain(CdnKey, _gateway.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sync_interval", "\"600\"", "sync_interval must be a whole number of seconds.")]
    [InlineData("sync_interval", "1.5", "sync_interval must be a whole number of seconds.")]
    [InlineData("sync_interval", "1e30", "sync_interval must be a whole number of seconds.")]
    [InlineData("enable_metadata_migration", "\"true\"", "enable_metadata_migration must be true or false.")]
    [InlineData("src_prefix", "5", "src_prefix must be a string.")]
    [InlineData("source_cdn_authentication_key", "{\"k\":1}", "source_cdn_authentication_key must be a string.")]
    [InlineData("description", "\"{256}\"", "description must be at most 255 characters.")]
    [InlineData("dst_prefix", "\"a\\u0000b/\"", "dst_prefix must be at most 850 bytes of UTF-8 without control characters.")]
    [InlineData("dst_prefix", "\"{851}\"", "dst_prefix must be at most 850 bytes of UTF-8 without control characters.")]
    public async Task Create_WithAFieldOfTheWrongTypeOrOutOfBounds_IsRefusedInOmsForm_AndNoTaskIsMade(string field, string json, string message)
    {
        // A value of another type must not quietly become the default ("600" seconds read as the default 60).
        json = json.Replace("{256}", new string('d', 256), StringComparison.Ordinal).Replace("{851}", new string('p', 851), StringComparison.Ordinal);
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(S3Task("fields/")))!;
        body[field] = JsonDocument.Parse(json).RootElement.Clone();

        var (status, error) = await CallAsync(HttpMethod.Post, "", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("OMS.0001", error.GetProperty("error_code").GetString());
        Assert.Equal(message, error.GetProperty("error_msg").GetString());
        Assert.Equal(0, (await CallAsync(HttpMethod.Get, "")).Json.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Errors_AreOmsShaped()
    {
        var (noToken, noTokenJson) = await CallAsync(HttpMethod.Get, "", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken);
        Assert.Equal("OMS.0002", noTokenJson.GetProperty("error_code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(HttpMethod.Get, "", token: "wrong")).Status);

        var (badType, badTypeJson) = await CallAsync(HttpMethod.Post, "", new { src_cloud_type = "Floppy", dst_bucket = GatewayProcess.DefaultBucket });
        Assert.Equal(HttpStatusCode.BadRequest, badType);
        Assert.False(string.IsNullOrEmpty(badTypeJson.GetProperty("error_msg").GetString()));

        var wrongDestination = JsonSerializer.SerializeToElement(S3Task("x/"));
        var body = JsonSerializer.Deserialize<Dictionary<string, object>>(wrongDestination.GetRawText())!;
        body["dst_sk"] = "not-the-secret";
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(HttpMethod.Post, "", body)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(HttpMethod.Get, "/nope")).Status);

        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (status, json) = await CallAsync(HttpMethod.Post, "", S3Task($"limit{i}/", 3600));
            Assert.Equal(HttpStatusCode.OK, status);
            ids.Add(json.GetProperty("id").GetString()!);
        }
        var (sixth, sixthJson) = await CallAsync(HttpMethod.Post, "", S3Task("limit6/", 3600));
        Assert.Equal(HttpStatusCode.BadRequest, sixth);
        Assert.Equal("OMS.0006", sixthJson.GetProperty("error_code").GetString());

        var startBody = new { src_ak = S3Server.AccessKey, src_sk = S3Server.SecretKey, dst_ak = GatewayProcess.DevSecretId, dst_sk = GatewayProcess.DevSecretKey };
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Post, $"/{ids[0]}/start", startBody)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Delete, $"/{ids[0]}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Post, $"/{ids[0]}/stop")).Status);
        Assert.Equal("STOPPED", (await CallAsync(HttpMethod.Get, $"/{ids[0]}")).Json.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Post, $"/{ids[0]}/events", new { object_keys = new[] { "a" } })).Status);
        Assert.Equal(1, (await CallAsync(HttpMethod.Get, "?status=stopped")).Json.GetProperty("count").GetInt32());
        var (unknownStatus, unknownStatusJson) = await CallAsync(HttpMethod.Get, "?status=RUNNING");
        Assert.Equal(HttpStatusCode.BadRequest, unknownStatus);
        Assert.Equal("OMS.0001", unknownStatusJson.GetProperty("error_code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Delete, $"/{ids[0]}")).Status);
        var (_, stopped) = await CallAsync(HttpMethod.Get, "?status=SYNCHRONIZING&limit=2");
        Assert.Equal(4, stopped.GetProperty("count").GetInt32());
        Assert.Equal(2, stopped.GetProperty("tasks").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Post, $"/{ids[1]}/events", new { object_keys = Array.Empty<string>() })).Status);
    }

    [Fact]
    public async Task Events_OnAUrlList_TakeOnlyHttpUrls_AndRefuseAnythingElseInOmsForm()
    {
        var run = Guid.NewGuid().ToString("N");
        var body = RandomNumberGenerator.GetBytes(1_200);
        _origin.Serve($"/{run}/named.bin", body);
        _origin.Serve($"/{run}/list.txt", Encoding.UTF8.GetBytes("# nothing listed yet\n"));
        var (_, created) = await CallAsync(HttpMethod.Post, "", UrlListTask($"http://{_origin.Host}/{run}/list.txt", "events/"));
        var id = created.GetProperty("id").GetString()!;

        // One key that is not an http(s) URL refuses the whole request: the good key beside it is not copied either.
        foreach (var bad in new[] { "not a url", "ftp://example.test/a.bin", "/relative/path.bin" })
        {
            var (status, error) = await CallAsync(HttpMethod.Post, $"/{id}/events", new { object_keys = new[] { $"http://{_origin.Host}/{run}/named.bin", bad } });
            Assert.True(status == HttpStatusCode.BadRequest, $"{bad}: {status} {error}");
            Assert.Equal("OMS.0001", error.GetProperty("error_code").GetString());
            Assert.StartsWith("object_keys[1] ", error.GetProperty("error_msg").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(0, _origin.Count($"/{run}/named.bin"));

        var (accepted, _) = await CallAsync(HttpMethod.Post, $"/{id}/events", new { object_keys = new[] { $"http://{_origin.Host}/{run}/named.bin" } });
        Assert.Equal(HttpStatusCode.OK, accepted);
        await WaitAsync(id, t => t.GetProperty("object_synchronized_num").GetInt64() == 1);
        Assert.Equal(body, await ObjectAsync($"events/{run}/named.bin"));
    }

    [Fact]
    public async Task Events_CopyNamedKeysNow()
    {
        // The first pass must be over before the named key exists, or the pass may copy it too:
        // a pass adds its listed count when it ends, so one object before the task marks that end.
        var prefix = $"e{Guid.NewGuid():N}/";
        await _s3.PutAsync(SourceBucket, prefix + "before.bin", RandomNumberGenerator.GetBytes(1_000));
        var (_, created) = await CallAsync(HttpMethod.Post, "", S3Task(prefix, 3600));
        var id = created.GetProperty("id").GetString()!;
        await WaitAsync(id, t => t.GetProperty("object_listed_num").GetInt64() == 1 && t.GetProperty("object_synchronized_num").GetInt64() == 1);
        var body = RandomNumberGenerator.GetBytes(4_000);
        await _s3.PutAsync(SourceBucket, prefix + "now.bin", body);

        var (status, _) = await CallAsync(HttpMethod.Post, $"/{id}/events", new { object_keys = new[] { "now.bin" } });

        Assert.Equal(HttpStatusCode.OK, status);
        var done = await WaitAsync(id, t => t.GetProperty("object_synchronized_num").GetInt64() == 2);
        Assert.Equal(1, done.GetProperty("object_listed_num").GetInt64());
        Assert.Equal(body, await ObjectAsync($"synced/{prefix}now.bin"));
    }

    [Fact]
    public async Task AfterARestart_TasksAreStopped_CopiesWaitForTheKeys()
    {
        var prefix = $"r{Guid.NewGuid():N}/";
        var first = RandomNumberGenerator.GetBytes(3_000);
        await _s3.PutAsync(SourceBucket, prefix + "one.bin", first);
        var (_, created) = await CallAsync(HttpMethod.Post, "", S3Task(prefix));
        var id = created.GetProperty("id").GetString()!;
        await WaitAsync(id, t => t.GetProperty("object_synchronized_num").GetInt64() == 1);

        await _gateway.StopAsync();
        await using var restarted = await GatewayProcess.StartAsync(Settings, dataDirectory: _gateway.DataDirectory);
        var status = await WaitAsync(id, t => true, restarted);
        Assert.Equal("STOPPED", status.GetProperty("status").GetString());

        var second = RandomNumberGenerator.GetBytes(3_000);
        await _s3.PutAsync(SourceBucket, prefix + "two.bin", second);
        await Task.Delay(1500);
        Assert.Equal(HttpStatusCode.NotFound, (await restarted.Client.GetAsync(new Uri(restarted.DataUrl, $"synced/{prefix}two.bin"))).StatusCode);

        var start = new { src_ak = S3Server.AccessKey, src_sk = S3Server.SecretKey, dst_ak = GatewayProcess.DevSecretId, dst_sk = GatewayProcess.DevSecretKey };
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Post, $"/{id}/start", start, gateway: restarted)).Status);
        await WaitAsync(id, t => t.GetProperty("object_synchronized_num").GetInt64() == 2, restarted);
        Assert.Equal(second, await ObjectAsync($"synced/{prefix}two.bin", restarted));
    }
}
