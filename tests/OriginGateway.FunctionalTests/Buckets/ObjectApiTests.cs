using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Storage;

namespace OriginGateway.FunctionalTests.Buckets;

public sealed class ObjectApiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private Uri Url(string pathAndQuery) => new(Gateway.DataUrl, pathAndQuery);

    private async Task<HttpResponseMessage> PutAsync(string key, byte[] body, string? contentType = "application/octet-stream", Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, Url(key)) { Content = CosSigner.Bytes(body, contentType) };
        configure?.Invoke(request);
        return await Gateway.Client.SendAsync(request.Sign());
    }

    private static string Unique(string name) => $"t-{Guid.NewGuid():N}/{name}";

    [Fact]
    public async Task PutGetHeadDelete_RoundTrip()
    {
        var key = Unique("hello.txt");
        var body = "hello, gateway"u8.ToArray();
        var etag = "\"" + Convert.ToHexStringLower(MD5.HashData(body)) + "\"";

        var put = await PutAsync(key, body, "text/plain");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(etag, put.Headers.ETag!.Tag);

        var get = await Gateway.Client.GetAsync(Url(key));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, get.Headers.ETag!.Tag);
        Assert.Equal("text/plain", get.Content.Headers.ContentType!.ToString());
        Assert.Equal("bytes", get.Headers.AcceptRanges.Single());
        Assert.NotNull(get.Content.Headers.LastModified);
        Assert.Equal("hit", get.Headers.GetValues("x-origin-action").Single());
        Assert.True(get.Headers.Contains("x-cos-request-id"));

        var head = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key)));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(body.Length, head.Content.Headers.ContentLength);
        Assert.Equal(etag, head.Headers.ETag!.Tag);
        Assert.Equal("hit", head.Headers.GetValues("x-origin-action").Single());

        var delete = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, Url(key)).Sign());
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        var again = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, Url(key)).Sign());
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);

        var missing = await Gateway.Client.GetAsync(Url(key));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var error = XDocument.Parse(await missing.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("NoSuchKey", error.Element("Code")!.Value);
        Assert.Equal(missing.Headers.GetValues("x-cos-request-id").Single(), error.Element("RequestId")!.Value);
        Assert.Equal("miss", missing.Headers.GetValues("x-origin-action").Single());
    }

    [Fact]
    public async Task Put_KeepsMetadataHeaders()
    {
        var key = Unique("meta.bin");
        var put = await PutAsync(key, "x"u8.ToArray(), "image/png", r =>
        {
            r.Headers.TryAddWithoutValidation("Cache-Control", "max-age=300");
            r.Headers.TryAddWithoutValidation("x-cos-meta-owner", "team-a");
            r.Content!.Headers.TryAddWithoutValidation("Content-Disposition", "attachment; filename=\"a.png\"");
            r.Content.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
            r.Content.Headers.TryAddWithoutValidation("Expires", "Thu, 01 Jan 2037 00:00:00 GMT");
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var get = await Gateway.Client.GetAsync(Url(key));

        Assert.Equal("image/png", get.Content.Headers.ContentType!.ToString());
        Assert.Equal("max-age=300", get.Headers.CacheControl!.ToString());
        Assert.Equal("team-a", get.Headers.GetValues("x-cos-meta-owner").Single());
        Assert.Equal("attachment; filename=\"a.png\"", get.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal("gzip", get.Content.Headers.ContentEncoding.Single());
        Assert.Equal(new DateTimeOffset(2037, 1, 1, 0, 0, 0, TimeSpan.Zero), get.Content.Headers.Expires);
    }

    /// <summary>
    /// User metadata is bounded as S3 and COS bound it: 2 KB of UTF-8 over every name (after <c>x-cos-meta-</c>) and value.
    /// Exactly 2 KB is stored; one byte more is 400 <c>MetadataTooLarge</c> for a PUT, a copy that replaces the metadata and
    /// a multipart initiation, and nothing is stored or changed. (Before, metadata up to Kestrel's 32 KB of request headers was
    /// stored and came back on every read, past an nginx's default proxy buffer and Python's 100 response headers.) A stored header's value with a control
    /// character is 400 <c>InvalidArgument</c>: it used to be stored, and every read of the object then failed with 500.
    /// </summary>
    [Fact]
    public async Task UserMetadataOver2KB_OrAValueWithAControlCharacter_IsRefused_ForPutsCopiesAndUploads_AndNothingIsStored()
    {
        // Names "a" and "b" (one byte each) and values of 1,000 and the rest bytes: `bytes` in all.
        static void Metadata(HttpRequestMessage request, int bytes)
        {
            request.Headers.TryAddWithoutValidation("x-cos-meta-a", new string('v', 1000));
            request.Headers.TryAddWithoutValidation("x-cos-meta-b", new string('w', bytes - 2 - 1000));
        }
        var key = Unique("meta-limit.bin");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(key, "first"u8.ToArray(), "text/plain", r => Metadata(r, 2048))).StatusCode);
        Assert.Equal(1000, (await Gateway.Client.GetAsync(Url(key))).Headers.GetValues("x-cos-meta-a").Single().Length);

        async Task Refused(HttpResponseMessage answer)
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            var error = XDocument.Parse(await answer.Content.ReadAsStringAsync()).Root!;
            Assert.Equal("MetadataTooLarge", error.Element("Code")!.Value);
            Assert.Equal("Your metadata headers exceed the maximum allowed metadata size.", error.Element("Message")!.Value);
        }
        await Refused(await PutAsync(key, "second"u8.ToArray(), "text/plain", r => Metadata(r, 2049)));
        var copy = new HttpRequestMessage(HttpMethod.Put, Url(key));
        copy.Headers.TryAddWithoutValidation("x-cos-copy-source", $"{Gateway.DataUrl.Authority}/{key}");
        copy.Headers.TryAddWithoutValidation("x-cos-metadata-directive", "Replaced");
        Metadata(copy, 2049);
        await Refused(await Gateway.Client.SendAsync(copy.Sign()));
        var initiate = new HttpRequestMessage(HttpMethod.Post, Url(key.Split('/')[0] + "/meta-upload.bin?uploads"));
        Metadata(initiate, 2049);
        await Refused(await Gateway.Client.SendAsync(initiate.Sign()));
        // The name counts too, and a character is its UTF-8 bytes (sent as UTF-8, as curl and Go send it).
        using (var utf8 = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.UTF8 }))
        {
            var names = new HttpRequestMessage(HttpMethod.Put, Url(Unique("meta-names.bin"))) { Content = CosSigner.Bytes("x"u8.ToArray(), "text/plain") };
            names.Headers.TryAddWithoutValidation("x-cos-meta-" + new string('n', 1100), "v");
            names.Headers.TryAddWithoutValidation("x-cos-meta-c", new string('é', 474));
            await Refused(await utf8.SendAsync(names.Sign()));
        }

        // The AWS CLI's x-amz-meta-* are counted the same way, and it shows S3's code.
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var (exit, _, stderr) = await ExternalTool.RunAsync(aws, ["--endpoint-url", Gateway.DataUrl.ToString().TrimEnd('/'), "s3api", "put-object",
            "--bucket", GatewayProcess.DefaultBucket, "--key", key, "--metadata", $"a={new string('v', 1000)},b={new string('w', 1047)}"], environment: GatewayProcess.AwsEnvironment());
        Assert.NotEqual(0, exit);
        Assert.Contains("(MetadataTooLarge)", stderr, StringComparison.Ordinal);

        // A value that could never be sent back (a control character) is refused too: stored, it failed every read.
        foreach (var (header, value) in new[] { ("x-cos-meta-a", "x\u0001y"), ("Content-Disposition", "a\u007fb"), ("Cache-Control", "no\u001bcache") })
        {
            var control = await PutAsync(key, "third"u8.ToArray(), "text/plain", r => Assert.True(r.Headers.TryAddWithoutValidation(header, value) || r.Content!.Headers.TryAddWithoutValidation(header, value)));
            Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
            var error = XDocument.Parse(await control.Content.ReadAsStringAsync()).Root!;
            Assert.Equal("InvalidArgument", error.Element("Code")!.Value);
            Assert.Equal($"The value of {header.ToLowerInvariant()} contains a control character.", error.Element("Message")!.Value);
        }

        var kept = await Gateway.Client.GetAsync(Url(key));
        Assert.Equal("first", await kept.Content.ReadAsStringAsync());
        Assert.Equal(1046, kept.Headers.GetValues("x-cos-meta-b").Single().Length);
        var uploads = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url("?uploads&prefix=" + Uri.EscapeDataString(key.Split('/')[0] + "/meta-upload"))).Sign());
        Assert.DoesNotContain("<Upload>", await uploads.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_WithWrongContentMd5_IsBadDigest_AndStoresNothing()
    {
        var key = Unique("digest.bin");
        var put = await PutAsync(key, "payload"u8.ToArray(), configure: r => r.Content!.Headers.ContentMD5 = MD5.HashData("other"u8));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("<Code>BadDigest</Code>", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.GetAsync(Url(key))).StatusCode);
    }

    [Fact]
    public async Task Put_WithRightContentMd5_IsStored()
    {
        var body = "payload"u8.ToArray();
        var put = await PutAsync(Unique("digest-ok.bin"), body, configure: r => r.Content!.Headers.ContentMD5 = MD5.HashData(body));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task Put_OverMaxPutSize_IsEntityTooLarge()
    {
        var key = Unique("big.bin");
        // As SDKs do for large bodies: the refusal arrives before the body is sent.
        var put = await PutAsync(key, new byte[1048577], configure: r => r.Headers.ExpectContinue = true);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("<Code>EntityTooLarge</Code>", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.GetAsync(Url(key))).StatusCode);
    }

    [Fact]
    public async Task Writes_WithoutSignature_AreAccessDenied()
    {
        var key = Unique("anon.txt");
        var put = await Gateway.Client.PutAsync(Url(key), new ByteArrayContent("x"u8.ToArray()));
        var delete = await Gateway.Client.DeleteAsync(Url(key));

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.GetAsync(Url(key))).StatusCode);
    }

    [Fact]
    public async Task Range_SingleMultipleAndUnsatisfiable()
    {
        var key = Unique("range.bin");
        var body = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        await PutAsync(key, body);

        var single = new HttpRequestMessage(HttpMethod.Get, Url(key));
        single.Headers.TryAddWithoutValidation("Range", "bytes=10-19");
        var partial = await Gateway.Client.SendAsync(single);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(body[10..20], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes 10-19/1000", partial.Content.Headers.ContentRange!.ToString());

        var suffix = new HttpRequestMessage(HttpMethod.Get, Url(key));
        suffix.Headers.TryAddWithoutValidation("Range", "bytes=-5");
        Assert.Equal(body[995..], await (await Gateway.Client.SendAsync(suffix)).Content.ReadAsByteArrayAsync());

        var several = new HttpRequestMessage(HttpMethod.Get, Url(key));
        several.Headers.TryAddWithoutValidation("Range", "bytes=0-1,5-6");
        var whole = await Gateway.Client.SendAsync(several);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(body, await whole.Content.ReadAsByteArrayAsync());

        var beyond = new HttpRequestMessage(HttpMethod.Get, Url(key));
        beyond.Headers.TryAddWithoutValidation("Range", "bytes=1000-");
        var unsatisfiable = await Gateway.Client.SendAsync(beyond);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Equal("bytes */1000", unsatisfiable.Content.Headers.ContentRange!.ToString());
        Assert.Contains("<Code>InvalidRange</Code>", await unsatisfiable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LargeObject_ManyConcurrentReaders_WholeAndRanged_EachGetEveryByte()
    {
        // A stored body goes out a chunk at a time (64 KiB; 256 KiB chunks were measured too, bench/README.md): 40 readers
        // at once, whole bodies and ranges that start and end inside and across chunks, must each arrive byte for byte.
        var key = Unique("large.bin");
        var body = new byte[1_000_003];
        new Random(7).NextBytes(body);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(key, body)).StatusCode);
        (long From, long To)?[] ranges = [null, (0, 65_536), (65_535, 65_537), (262_000, 786_999), (1, 999_999), (524_288, 1_000_002)];

        var readers = Enumerable.Range(0, 40).Select(async i =>
        {
            var range = ranges[i % ranges.Length];
            var request = new HttpRequestMessage(HttpMethod.Get, Url(key));
            var expected = body;
            if (range is { } part)
            {
                request.Headers.TryAddWithoutValidation("Range", $"bytes={part.From}-{part.To}");
                expected = body[(int)part.From..(int)(part.To + 1)];
            }
            using var response = await Gateway.Client.SendAsync(request);
            Assert.Equal(range is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
        });

        await Task.WhenAll(readers);
    }

    [Fact]
    public async Task ConditionalRequests_304And412()
    {
        var key = Unique("cond.txt");
        var put = await PutAsync(key, "conditional"u8.ToArray());
        var etag = put.Headers.ETag!.Tag;

        async Task<HttpStatusCode> GetWith(string header, string value)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url(key));
            request.Headers.TryAddWithoutValidation(header, value);
            return (await Gateway.Client.SendAsync(request)).StatusCode;
        }

        var lastModified = (await Gateway.Client.GetAsync(Url(key))).Content.Headers.LastModified!.Value;
        Assert.Equal(HttpStatusCode.NotModified, await GetWith("If-None-Match", etag));
        Assert.Equal(HttpStatusCode.OK, await GetWith("If-None-Match", "\"other\""));
        Assert.Equal(HttpStatusCode.NotModified, await GetWith("If-Modified-Since", lastModified.ToString("R")));
        Assert.Equal(HttpStatusCode.OK, await GetWith("If-Modified-Since", lastModified.AddSeconds(-1).ToString("R")));
        Assert.Equal(HttpStatusCode.OK, await GetWith("If-Match", etag));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await GetWith("If-Match", "\"other\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await GetWith("If-Unmodified-Since", lastModified.AddSeconds(-1).ToString("R")));
        Assert.Equal(HttpStatusCode.OK, await GetWith("If-Unmodified-Since", lastModified.ToString("R")));
    }

    public static TheoryData<string, string> LiteralKeys() => new()
    {
        // raw target suffix, the key it names
        { "a//b", "a//b" },
        { "a/../b", "a/../b" },
        { "%2e%2e/%2e%2e/etc/passwd", "../../etc/passwd" },
        { "dir/", "dir/" },
        { "x/.", "x/." },
        { "a%2Fb", "a/b" },
        { "%E8%85%BE%E8%AE%AF%E4%BA%91/%F0%9F%98%80.txt", "腾讯云/😀.txt" },
        { "back%5Cslash", "back\\slash" },
        { new string('k', 780), new string('k', 780) },
    };

    [Theory]
    [MemberData(nameof(LiteralKeys))]
    public async Task Keys_AreTakenLiterallyFromTheRawTarget_AndRoundTrip(string rawKey, string key)
    {
        var prefix = $"lit-{Guid.NewGuid():N}/";
        var body = Encoding.UTF8.GetBytes("content of " + key);

        var put = await RawHttp.SendSignedAsync(Gateway.DataPort, "PUT", "/" + prefix + rawKey, "/" + prefix + key, body);
        Assert.Equal(200, put.Status);

        var get = await RawHttp.SendAsync(Gateway.DataPort, "GET", "/" + prefix + rawKey);
        Assert.Equal(200, get.Status);
        Assert.Equal(body, get.Body);

        var list = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url("?prefix=" + Uri.EscapeDataString(prefix))).Sign());
        var keys = XDocument.Parse(await list.Content.ReadAsStringAsync()).Root!.Elements("Contents").Select(c => c.Element("Key")!.Value).ToList();
        Assert.Equal([prefix + key], keys);
    }

    [Fact]
    public async Task Keys_DotSegmentsAreDistinctObjects()
    {
        var prefix = $"dots-{Guid.NewGuid():N}/";
        await RawHttp.SendSignedAsync(Gateway.DataPort, "PUT", $"/{prefix}a/../b", $"/{prefix}a/../b", "dots"u8.ToArray());

        var plain = await RawHttp.SendAsync(Gateway.DataPort, "GET", $"/{prefix}b");

        Assert.Equal(404, plain.Status);
    }

    [Fact]
    public async Task Keys_Exactly850Bytes_RoundTrip()
    {
        var key = Guid.NewGuid().ToString("N") + new string('腾', 200) + new string('k', 850 - 32 - 600);
        Assert.Equal(850, Encoding.UTF8.GetByteCount(key));
        var target = "/" + string.Concat(Encoding.UTF8.GetBytes(key).Select(b => b < 0x80 ? ((char)b).ToString() : $"%{b:X2}"));

        Assert.Equal(200, (await RawHttp.SendSignedAsync(Gateway.DataPort, "PUT", target, "/" + key, "850"u8.ToArray())).Status);
        Assert.Equal("850", (await RawHttp.SendAsync(Gateway.DataPort, "GET", target)).Text);
    }

    [Fact]
    public async Task Keys_WithEncodedNul_AreRefusedBeforeAnythingIsStored()
    {
        // Kestrel itself refuses a request target that decodes to NUL (a bare 400, before the gateway runs).
        var response = await RawHttp.SendSignedAsync(Gateway.DataPort, "PUT", "/nul%00key", "/nul\0key", "x"u8.ToArray());

        Assert.Equal(400, response.Status);
        var list = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url("?prefix=nul")).Sign());
        Assert.DoesNotContain("<Contents>", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/bad%0Akey", "InvalidArgument")]
    [InlineData("/bad%01key", "InvalidArgument")]
    [InlineData("/bad%7Fkey", "InvalidArgument")]
    [InlineData("/overlong%C0%AFkey", "InvalidArgument")]
    [InlineData("/invalid%FFutf8", "InvalidArgument")]
    [InlineData("/broken%zzescape", "InvalidArgument")]
    public async Task Keys_Invalid_AreRefused(string target, string code)
    {
        var response = await RawHttp.SendSignedAsync(Gateway.DataPort, "PUT", target, target, "x"u8.ToArray());

        Assert.Equal(400, response.Status);
        Assert.Contains($"<Code>{code}</Code>", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_Over850Bytes_AreKeyTooLong()
    {
        var target = "/" + new string('k', 851);
        var response = await RawHttp.SendSignedAsync(Gateway.DataPort, "PUT", target, target, "x"u8.ToArray());

        Assert.Equal(400, response.Status);
        Assert.Contains("<Code>KeyTooLong</Code>", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_PrefixDelimiterMarkerMaxKeys()
    {
        var root = $"list-{Guid.NewGuid():N}/";
        foreach (var key in new[] { "a.txt", "b.txt", "sub/1.txt", "sub/2.txt", "zz/x" })
        {
            await PutAsync(root + key, "x"u8.ToArray());
        }

        var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"?prefix={root}&delimiter=/&max-keys=3")).Sign());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("ListBucketResult", xml.Name.LocalName);
        Assert.Equal(GatewayProcess.DefaultBucket, xml.Element("Name")!.Value);
        Assert.Equal([root + "a.txt", root + "b.txt"], xml.Elements("Contents").Select(c => c.Element("Key")!.Value));
        Assert.Equal([root + "sub/"], xml.Elements("CommonPrefixes").Select(c => c.Element("Prefix")!.Value));
        Assert.Equal("true", xml.Element("IsTruncated")!.Value);
        Assert.Equal(root + "sub/", xml.Element("NextMarker")!.Value);
        Assert.Equal("\"9dd4e461268c8034f5c8564e155c67a6\"", xml.Elements("Contents").First().Element("ETag")!.Value);

        var next = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"?prefix={root}&delimiter=/&marker={Uri.EscapeDataString(root + "sub/")}")).Sign());
        var page2 = XDocument.Parse(await next.Content.ReadAsStringAsync()).Root!;
        Assert.Equal([root + "zz/"], page2.Elements("CommonPrefixes").Select(c => c.Element("Prefix")!.Value));
        Assert.Equal("false", page2.Element("IsTruncated")!.Value);
    }

    /// <summary>
    /// <c>GET /?versions</c> of an unversioned bucket: the listing's objects, each version <c>null</c> and the latest,
    /// with the same prefix, delimiter and paging — key markers, <c>version-id-marker=null</c> — and nothing else.
    /// </summary>
    [Fact]
    public async Task ListVersions_ListsEveryObjectOnceAsVersionNull_PagedByKeyMarker()
    {
        var root = $"versions-{Guid.NewGuid():N}/";
        foreach (var key in new[] { "a.txt", "b.txt", "sub/1.txt", "zz/x" })
        {
            await PutAsync(root + key, "x"u8.ToArray());
        }
        async Task<XElement> VersionsAsync(string query)
        {
            var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"?versions&prefix={root}&{query}")).Sign());
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return XDocument.Parse(text).Root!;
        }

        var page1 = await VersionsAsync("delimiter=/&max-keys=2");
        Assert.Equal("ListVersionsResult", page1.Name.LocalName);
        Assert.Equal(GatewayProcess.DefaultBucket, page1.Element("Name")!.Value);
        Assert.Equal([root + "a.txt", root + "b.txt"], page1.Elements("Version").Select(v => v.Element("Key")!.Value));
        Assert.All(page1.Elements("Version"), v =>
        {
            Assert.Equal("null", v.Element("VersionId")!.Value);
            Assert.Equal("true", v.Element("IsLatest")!.Value);
            Assert.Equal("\"9dd4e461268c8034f5c8564e155c67a6\"", v.Element("ETag")!.Value);
            Assert.Equal("1", v.Element("Size")!.Value);
        });
        Assert.Equal("true", page1.Element("IsTruncated")!.Value);
        Assert.Equal(root + "b.txt", page1.Element("NextKeyMarker")!.Value);
        Assert.Equal("null", page1.Element("NextVersionIdMarker")!.Value);

        var page2 = await VersionsAsync($"delimiter=/&max-keys=2&key-marker={Uri.EscapeDataString(root + "b.txt")}&version-id-marker=null");
        Assert.Empty(page2.Elements("Version"));
        Assert.Equal([root + "sub/", root + "zz/"], page2.Elements("CommonPrefixes").Select(c => c.Element("Prefix")!.Value));
        Assert.Equal("false", page2.Element("IsTruncated")!.Value);
        Assert.Null(page2.Element("NextKeyMarker"));

        var all = await VersionsAsync("encoding-type=url");
        Assert.Equal(4, all.Elements("Version").Count());

        foreach (var (query, message) in new[] { ("version-id-marker=null", "without a key-marker"), ($"key-marker={root}a.txt&version-id-marker=3HL4kqtJlcpXroDTDmjVBH40Nrjfkd", "unversioned"), ("max-keys=-1", "max-keys") })
        {
            var refused = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"?versions&{query}")).Sign());
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest && body.Contains("<Code>InvalidArgument</Code>", StringComparison.Ordinal) && body.Contains(message, StringComparison.Ordinal), $"{query}: {body}");
        }
        // Anonymous callers list versions when they may list: not in this bucket.
        Assert.Equal(HttpStatusCode.Forbidden, (await Gateway.Client.GetAsync(Url("?versions"))).StatusCode);
    }

    /// <summary>What a configured bucket answers about itself: versioning never enabled, its ACL from its configuration.</summary>
    [Fact]
    public async Task VersioningAndBucketAcl_AreAnsweredFromTheConfiguration()
    {
        var versioning = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url("?versioning")).Sign());
        Assert.Equal(HttpStatusCode.OK, versioning.StatusCode);
        var configuration = XDocument.Parse(await versioning.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("VersioningConfiguration", configuration.Name.LocalName);
        Assert.False(configuration.HasElements);

        async Task<(string Canned, string[] Grants)> AclAsync(string bucketPath)
        {
            var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(bucketPath + "?acl")).Sign());
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var grants = XDocument.Parse(text).Root!.Element("AccessControlList")!.Elements("Grant")
                .Select(g => (g.Element("Grantee")!.Element("URI") ?? g.Element("Grantee")!.Element("ID"))!.Value + ":" + g.Element("Permission")!.Value);
            return (response.Headers.GetValues("x-cos-acl").Single(), grants.ToArray());
        }
        const string owner = "qcs::cam::uin/1250000000:uin/1250000000";
        var (canned, grants) = await AclAsync("");
        Assert.Equal("public-read", canned);
        Assert.Equal([$"{owner}:FULL_CONTROL", "http://cam.qcloud.com/groups/global/AllUsers:READ"], grants);
        (canned, grants) = await AclAsync(GatewayFixture.PrivateBucket + "/");
        Assert.Equal("private", canned);
        Assert.Equal([$"{owner}:FULL_CONTROL"], grants);
        // Setting it is not a thing here: buckets are configured.
        var put = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, Url("?acl")) { Headers = { { "x-cos-acl", "private" } } }.Sign());
        Assert.Equal(HttpStatusCode.NotImplemented, put.StatusCode);
    }

    /// <summary>COS's forbid-overwrite and HTTP's conditions on a write or a delete: refused with nothing stored or removed, the object kept.</summary>
    [Fact]
    public async Task ForbidOverwriteAndIfMatch_OnPutCopyAndDelete_RefuseWithoutChangingAnything()
    {
        var key = Unique("guarded.txt");
        Task<HttpResponseMessage> Put(string body, params (string Name, string Value)[] headers) =>
            PutAsync(key, Encoding.UTF8.GetBytes(body), configure: r => { foreach (var (name, value) in headers) { r.Headers.TryAddWithoutValidation(name, value); } });
        async Task<string> CodeOf(HttpResponseMessage response) => XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Code")!.Value;

        Assert.Equal(HttpStatusCode.OK, (await Put("first", ("x-cos-forbid-overwrite", "true"))).StatusCode);
        var again = await Put("second", ("x-cos-forbid-overwrite", "true"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, again.StatusCode);
        Assert.Equal("PreconditionFailed", await CodeOf(again));
        Assert.Equal(HttpStatusCode.OK, (await Put("second", ("x-cos-forbid-overwrite", "false"))).StatusCode);
        var etag = (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key)))).Headers.ETag!.Tag;
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Put("third", ("If-Match", "\"0123456789abcdef0123456789abcdef\""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Put("third", ("If-Match", etag))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Put("fourth", ("x-cos-forbid-overwrite", "maybe"))).StatusCode);

        // A copy onto it with forbid-overwrite is refused too; onto a new key it is made.
        var source = Unique("source.txt");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(source, "copied"u8.ToArray())).StatusCode);
        async Task<HttpResponseMessage> CopyAsync(string destination)
        {
            var copy = new HttpRequestMessage(HttpMethod.Put, Url(destination));
            copy.Headers.Add("x-cos-copy-source", $"/{GatewayProcess.DefaultBucket}/{source}");
            copy.Headers.Add("x-cos-forbid-overwrite", "true");
            return await Gateway.Client.SendAsync(copy.Sign());
        }
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await CopyAsync(key)).StatusCode);
        Assert.Equal("third", await Gateway.Client.GetStringAsync(Url(key)));
        var fresh = Unique("fresh.txt");
        Assert.Equal(HttpStatusCode.OK, (await CopyAsync(fresh)).StatusCode);
        Assert.Equal("copied", await Gateway.Client.GetStringAsync(Url(fresh)));

        // A DELETE with If-Match removes only the object it names.
        var stale = new HttpRequestMessage(HttpMethod.Delete, Url(key)) { Headers = { { "If-Match", etag } } };
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Gateway.Client.SendAsync(stale.Sign())).StatusCode);
        Assert.Equal("third", await Gateway.Client.GetStringAsync(Url(key)));
        var current = (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key)))).Headers.ETag!.Tag;
        var matching = new HttpRequestMessage(HttpMethod.Delete, Url(key)) { Headers = { { "If-Match", current } } };
        Assert.Equal(HttpStatusCode.NoContent, (await Gateway.Client.SendAsync(matching.Sign())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key)))).StatusCode);
    }

    [Fact]
    public async Task List_MaxKeysAboveOneThousand_IsClamped_AndGarbageRefused()
    {
        var clamped = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url("?max-keys=5000&prefix=none/")).Sign());
        Assert.Equal("1000", XDocument.Parse(await clamped.Content.ReadAsStringAsync()).Root!.Element("MaxKeys")!.Value);

        var bad = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url("?max-keys=-1")).Sign());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task List_Anonymous_IsDenied_UnlessPublicList()
    {
        var response = await Gateway.Client.GetAsync(Url(""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task HeadBucket_PublicRead_Is200()
    {
        var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url("")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("x-cos-request-id"));
    }

    [Fact]
    public async Task PathStyle_And_VirtualHost_ResolveTheirBuckets()
    {
        var key = Unique("styles.txt");
        await PutAsync(key, "default bucket"u8.ToArray());

        var pathStyle = await Gateway.Client.GetAsync(Url($"{GatewayProcess.DefaultBucket}/{key}"));
        Assert.Equal("default bucket", await pathStyle.Content.ReadAsStringAsync());

        var privatePut = new HttpRequestMessage(HttpMethod.Put, Url($"{GatewayFixture.PrivateBucket}/{key}")) { Content = CosSigner.Bytes("private bucket"u8.ToArray()) };
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(privatePut.Sign())).StatusCode);

        var virtualHost = new HttpRequestMessage(HttpMethod.Get, Url(key));
        virtualHost.Headers.Host = GatewayFixture.PrivateHost + ":" + Gateway.DataPort;
        var uri = virtualHost.RequestUri!;
        var now = DateTimeOffset.UtcNow;
        virtualHost.Headers.TryAddWithoutValidation("Authorization", OriginGateway.Security.CosSignature.Authorization(
            GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, now, now.AddMinutes(5), "GET", CosSigner.DecodedPath(uri), [], [new("host", virtualHost.Headers.Host)]));
        var response = await Gateway.Client.SendAsync(virtualHost);
        Assert.Equal("private bucket", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PrivateBucket_AnonymousRead_IsDeniedBeforeTheKeyIsLookedUp()
    {
        var missing = await Gateway.Client.GetAsync(Url($"{GatewayFixture.PrivateBucket}/does-not-exist"));
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var signed = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"{GatewayFixture.PrivateBucket}/does-not-exist")).Sign());
        Assert.Equal(HttpStatusCode.NotFound, signed.StatusCode);
    }

    [Fact]
    public async Task Credential_LimitedToABucket_IsDeniedElsewhere()
    {
        var own = new HttpRequestMessage(HttpMethod.Put, Url($"{GatewayFixture.PrivateBucket}/{Unique("limited")}")) { Content = CosSigner.Bytes("x"u8.ToArray()) };
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(own.Sign(GatewayFixture.LimitedSecretId, GatewayFixture.LimitedSecretKey))).StatusCode);

        var other = new HttpRequestMessage(HttpMethod.Put, Url(Unique("limited"))) { Content = CosSigner.Bytes("x"u8.ToArray()) };
        var response = await Gateway.Client.SendAsync(other.Sign(GatewayFixture.LimitedSecretId, GatewayFixture.LimitedSecretKey));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presigned_Get_WorksOnPrivateBucket_AndExpires()
    {
        var key = $"{GatewayFixture.PrivateBucket}/{Unique("presigned.txt")}";
        var put = new HttpRequestMessage(HttpMethod.Put, Url(key)) { Content = CosSigner.Bytes("presigned body"u8.ToArray()) };
        await Gateway.Client.SendAsync(put.Sign());

        var valid = await Gateway.Client.GetAsync(CosSigner.Presign(Url(key), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Equal("presigned body", await valid.Content.ReadAsStringAsync());

        var expired = await Gateway.Client.GetAsync(CosSigner.Presign(Url(key), DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.FromHours(1)));
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("Request has expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_Failures_OverHttp()
    {
        var key = Unique("sig.txt");

        var wrongKey = new HttpRequestMessage(HttpMethod.Put, Url(key)) { Content = CosSigner.Bytes("x"u8.ToArray()) }.Sign(secretKey: "not-the-key");
        var wrong = await Gateway.Client.SendAsync(wrongKey);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var unknown = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, Url(key)) { Content = CosSigner.Bytes("x"u8.ToArray()) }.Sign(secretId: "AKIDNOBODY"));
        Assert.Contains("<Code>InvalidAccessKeyId</Code>", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var skewed = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, Url(key)) { Content = CosSigner.Bytes("x"u8.ToArray()) }.Sign(start: DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Contains("<Code>RequestTimeTooSkewed</Code>", await skewed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var both = new HttpRequestMessage(HttpMethod.Get, CosSigner.Presign(Url(key), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))).Sign();
        var bothResponse = await Gateway.Client.SendAsync(both);
        Assert.Equal(HttpStatusCode.BadRequest, bothResponse.StatusCode);
        Assert.Contains("<Code>InvalidArgument</Code>", await bothResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A bad signature is refused even where anonymous reads are allowed.
        var badRead = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(key)).Sign(secretKey: "wrong"));
        Assert.Equal(HttpStatusCode.Forbidden, badRead.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.GetAsync(Url(key))).StatusCode);
    }

    [Fact]
    public async Task UnsupportedMethodsAndSubresources_GetCosErrors()
    {
        var post = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, Url(Unique("x"))).Sign());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Contains("<Code>MethodNotAllowed</Code>", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var lifecycle = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url("?lifecycle")).Sign());
        Assert.Equal(HttpStatusCode.NotImplemented, lifecycle.StatusCode);
    }

    [Fact]
    public async Task ObjectOverwrittenWhileReaders_AlwaysReadWholeVersions()
    {
        var key = Unique("overwrite.bin");
        var a = Enumerable.Repeat((byte)'a', 300_000).ToArray();
        var b = Enumerable.Repeat((byte)'b', 300_000).ToArray();
        await PutAsync(key, a);

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await PutAsync(key, i % 2 == 0 ? b : a);
            }
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var body = await Gateway.Client.GetByteArrayAsync(Url(key));
                Assert.Equal(300_000, body.Length);
                Assert.True(body.All(x => x == body[0]));
            }
        }));
        await Task.WhenAll(readers.Append(writer));
    }

    [Fact]
    public async Task WithoutContentType_APutAndAMultipartUpload_TakeTheTypeOfTheKeysSuffix()
    {
        var zip = Unique("archive.zip");
        var put = new HttpRequestMessage(HttpMethod.Put, Url(zip)) { Content = new ByteArrayContent("PK"u8.ToArray()) };
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(put.Sign())).StatusCode);
        Assert.Equal("application/zip", (await Gateway.Client.GetAsync(Url(zip))).Content.Headers.ContentType!.ToString());

        var bare = Unique("no-suffix");
        put = new HttpRequestMessage(HttpMethod.Put, Url(bare)) { Content = new ByteArrayContent("x"u8.ToArray()) };
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(put.Sign())).StatusCode);
        Assert.Equal("application/octet-stream", (await Gateway.Client.GetAsync(Url(bare))).Content.Headers.ContentType!.ToString());

        var text = Unique("notes.txt");
        var initiated = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, Url(text + "?uploads")).Sign());
        var uploadId = XDocument.Parse(await initiated.Content.ReadAsStringAsync()).Root!.Element("UploadId")!.Value;
        var part = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, Url($"{text}?partNumber=1&uploadId={uploadId}")) { Content = new ByteArrayContent("hello"u8.ToArray()) }.Sign());
        var complete = new HttpRequestMessage(HttpMethod.Post, Url($"{text}?uploadId={uploadId}"))
        {
            Content = new StringContent($"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.Headers.ETag!.Tag}</ETag></Part></CompleteMultipartUpload>"),
        };
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(complete.Sign())).StatusCode);
        Assert.Equal("text/plain", (await Gateway.Client.GetAsync(Url(text))).Content.Headers.ContentType!.ToString());
    }
}
