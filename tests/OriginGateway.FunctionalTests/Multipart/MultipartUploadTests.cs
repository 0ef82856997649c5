using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Multipart;

/// <summary>Multipart upload over raw signed HTTP: the object appears only whole, at completion; every misuse is refused in COS's terms.</summary>
public sealed class MultipartUploadTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const int MiB = 1024 * 1024;

    private GatewayProcess Gateway => fixture.Gateway;

    private static string Unique(string name) => $"mpu/{Guid.NewGuid():N}/{name}";

    private Uri Url(string key, string query = "") => new(Gateway.DataUrl, Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal) + query);

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, Uri uri, HttpContent? content = null, bool sign = true, string secretId = GatewayProcess.DevSecretId, string secretKey = GatewayProcess.DevSecretKey)
    {
        // As SDKs do for large bodies: a refusal arrives before the body is sent.
        var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.ExpectContinue = content is not null;
        var response = await Gateway.Client.SendAsync(sign ? request.Sign(secretId, secretKey) : request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private async Task<string> InitiateAsync(string key, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url(key, "?uploads")) { Content = new ByteArrayContent([]) };
        configure?.Invoke(request);
        var response = await Gateway.Client.SendAsync(request.Sign());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var result = XElement.Parse(body);
        Assert.Equal("InitiateMultipartUploadResult", result.Name.LocalName);
        Assert.Equal(GatewayProcess.DefaultBucket, result.Element("Bucket")!.Value);
        Assert.Equal(key, result.Element("Key")!.Value);
        return result.Element("UploadId")!.Value;
    }

    private async Task<(HttpStatusCode Status, string? ETag, string Body)> UploadPartAsync(string key, string uploadId, int number, byte[] body, byte[]? contentMd5 = null)
    {
        var content = new ByteArrayContent(body);
        if (contentMd5 is not null)
        {
            content.Headers.ContentMD5 = contentMd5;
        }
        var (status, text, response) = await SendAsync(HttpMethod.Put, Url(key, $"?partNumber={number}&uploadId={uploadId}"), content);
        return (status, response.Headers.ETag?.Tag, text);
    }

    private static string Completion(params (int Number, string ETag)[] parts) =>
        new XElement("CompleteMultipartUpload", parts.Select(p => new XElement("Part", new XElement("PartNumber", p.Number), new XElement("ETag", p.ETag)))).ToString();

    private Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> CompleteAsync(string key, string uploadId, string document) =>
        SendAsync(HttpMethod.Post, Url(key, $"?uploadId={uploadId}"), new StringContent(document, Encoding.UTF8, "application/xml"));

    private static string Md5Quoted(byte[] body) => $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";

    private static string MultipartETag(params byte[][] parts) =>
        $"\"{Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(MD5.HashData).ToArray()))}-{parts.Length}\"";

    private static string Code(string body) => XElement.Parse(body).Element("Code")!.Value;

    [Fact]
    public async Task Upload_IsInvisibleUntilComplete_ThenWholeWithTheMultipartETagAndTheInitiatedMetadata()
    {
        var key = Unique("big é.bin");
        var uploadId = await InitiateAsync(key, r =>
        {
            r.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("video/mp4");
            r.Headers.TryAddWithoutValidation("x-cos-meta-owner", "multipart");
            r.Headers.TryAddWithoutValidation("Cache-Control", "max-age=60");
        });
        var one = RandomNumberGenerator.GetBytes(MiB);
        var two = RandomNumberGenerator.GetBytes(MiB);
        var three = RandomNumberGenerator.GetBytes(12_345);

        // Out of order, one of them with Content-MD5, part 2 sent twice (the second replaces the first).
        var (status3, etag3, _) = await UploadPartAsync(key, uploadId, 3, three, MD5.HashData(three));
        Assert.Equal(HttpStatusCode.OK, status3);
        Assert.Equal(Md5Quoted(three), etag3);
        Assert.Equal(HttpStatusCode.OK, (await UploadPartAsync(key, uploadId, 2, RandomNumberGenerator.GetBytes(MiB))).Status);
        var (_, etag2, _) = await UploadPartAsync(key, uploadId, 2, two);
        var (_, etag1, _) = await UploadPartAsync(key, uploadId, 1, one);

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Head, Url(key))).Status);

        var (listStatus, listBody, _) = await SendAsync(HttpMethod.Get, Url(key, $"?uploadId={uploadId}"));
        Assert.Equal(HttpStatusCode.OK, listStatus);
        var parts = XElement.Parse(listBody).Elements("Part").Select(p => (int.Parse(p.Element("PartNumber")!.Value), p.Element("ETag")!.Value, long.Parse(p.Element("Size")!.Value))).ToList();
        Assert.Equal([(1, Md5Quoted(one), MiB), (2, Md5Quoted(two), MiB), (3, Md5Quoted(three), 12_345L)], parts);

        var (status, body, _) = await CompleteAsync(key, uploadId, Completion((1, etag1!), (2, etag2!), (3, etag3!)));
        Assert.True(status == HttpStatusCode.OK, body);
        var result = XElement.Parse(body);
        var expectedETag = MultipartETag(one, two, three);
        Assert.Equal(expectedETag, result.Element("ETag")!.Value);
        Assert.Equal(key, result.Element("Key")!.Value);

        var get = await Gateway.Client.GetAsync(Url(key));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(one.Concat(two).Concat(three).ToArray(), await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(expectedETag, get.Headers.ETag!.Tag);
        Assert.Equal("video/mp4", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal("multipart", get.Headers.GetValues("x-cos-meta-owner").Single());
        Assert.Equal("max-age=60", get.Headers.CacheControl!.ToString());

        // The upload is gone: no parts to list, nothing left in the bucket's upload list.
        Assert.Equal("NoSuchUpload", Code((await SendAsync(HttpMethod.Get, Url(key, $"?uploadId={uploadId}"))).Body));
        var (_, uploads, _) = await SendAsync(HttpMethod.Get, new Uri(Gateway.DataUrl, "?uploads&prefix=" + Uri.EscapeDataString(key)));
        Assert.Empty(XElement.Parse(uploads).Elements("Upload"));
    }

    /// <summary>
    /// GET and HEAD of one part (<c>?partNumber=N</c>): a completed object's parts as they were uploaded (206, their
    /// Content-Range, the count of parts), any other object as one part; a part beyond the last 416 InvalidPartNumber,
    /// a number outside 1–10000 or with a Range 400, a condition still checked; a part of a key with nothing stored is
    /// never pulled from an origin.
    /// </summary>
    [Fact]
    public async Task PartGets_AnswerTheUploadedParts_AndAnyOtherObjectAsOnePart()
    {
        var key = Unique("parts.bin");
        var uploadId = await InitiateAsync(key);
        byte[][] bodies = [RandomNumberGenerator.GetBytes(MiB), RandomNumberGenerator.GetBytes(MiB), RandomNumberGenerator.GetBytes(1000)];
        var etags = new List<(int, string)>();
        for (var i = 0; i < bodies.Length; i++)
        {
            etags.Add((i + 1, (await UploadPartAsync(key, uploadId, i + 1, bodies[i])).ETag!));
        }
        Assert.Equal(HttpStatusCode.OK, (await CompleteAsync(key, uploadId, Completion([.. etags]))).Status);
        var total = bodies.Sum(b => b.Length);
        async Task<HttpResponseMessage> PartAsync(HttpMethod method, string objectKey, string number, Action<HttpRequestMessage>? configure = null)
        {
            var request = new HttpRequestMessage(method, Url(objectKey, $"?partNumber={number}"));
            configure?.Invoke(request);
            return await Gateway.Client.SendAsync(request.Sign());
        }

        using (var second = await PartAsync(HttpMethod.Get, key, "2"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, second.StatusCode);
            Assert.Equal($"bytes {MiB}-{2 * MiB - 1}/{total}", second.Content.Headers.ContentRange!.ToString());
            Assert.Equal("3", second.Headers.GetValues("x-cos-mp-parts-count").Single());
            Assert.Equal(MultipartETag(bodies), second.Headers.ETag!.Tag);
            Assert.Equal(bodies[1], await second.Content.ReadAsByteArrayAsync());
        }
        using (var last = await PartAsync(HttpMethod.Head, key, "3"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, last.StatusCode);
            Assert.Equal(1000, last.Content.Headers.ContentLength);
            Assert.Equal($"bytes {2 * MiB}-{total - 1}/{total}", last.Content.Headers.ContentRange!.ToString());
        }
        using (var beyond = await PartAsync(HttpMethod.Get, key, "4"))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
            Assert.Equal("InvalidPartNumber", Code(await beyond.Content.ReadAsStringAsync()));
        }
        foreach (var bad in new[] { "0", "10001", "x" })
        {
            using var refused = await PartAsync(HttpMethod.Get, key, bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("InvalidArgument", Code(await refused.Content.ReadAsStringAsync()));
        }
        using (var ranged = await PartAsync(HttpMethod.Get, key, "1", r => r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, ranged.StatusCode);
            Assert.Equal("InvalidRequest", Code(await ranged.Content.ReadAsStringAsync()));
        }
        using (var changed = await PartAsync(HttpMethod.Get, key, "2", r => r.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"0123456789abcdef0123456789abcdef\""))))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, changed.StatusCode);
        }

        // An object put whole is one part; a key with nothing stored has no part 2 (and none is pulled).
        var single = Unique("single.bin");
        var body = RandomNumberGenerator.GetBytes(5000);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, Url(single), new ByteArrayContent(body))).Status);
        using (var whole = await PartAsync(HttpMethod.Get, single, "1"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, whole.StatusCode);
            Assert.Equal($"bytes 0-4999/5000", whole.Content.Headers.ContentRange!.ToString());
            Assert.False(whole.Headers.Contains("x-cos-mp-parts-count"));
            Assert.Equal(body, await whole.Content.ReadAsByteArrayAsync());
        }
        using (var none = await PartAsync(HttpMethod.Get, single, "2"))
        {
            Assert.Equal("InvalidPartNumber", Code(await none.Content.ReadAsStringAsync()));
        }
        using (var missing = await PartAsync(HttpMethod.Get, Unique("missing.bin"), "2"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("NoSuchKey", Code(await missing.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task Completion_IsRefused_ForWrongOrderUnknownPartsWrongETagsSmallPartsAndBadDocuments_AndNothingIsStored()
    {
        var key = Unique("refused.bin");
        var uploadId = await InitiateAsync(key);
        var small = RandomNumberGenerator.GetBytes(1000);
        var big = RandomNumberGenerator.GetBytes(MiB);
        var (_, etagSmall, _) = await UploadPartAsync(key, uploadId, 1, small);
        var (_, etagBig, _) = await UploadPartAsync(key, uploadId, 2, big);

        Assert.Equal("InvalidPartOrder", Code((await CompleteAsync(key, uploadId, Completion((2, etagBig!), (1, etagSmall!)))).Body));
        Assert.Equal("InvalidPartOrder", Code((await CompleteAsync(key, uploadId, Completion((2, etagBig!), (2, etagBig!)))).Body));
        Assert.Equal("InvalidPart", Code((await CompleteAsync(key, uploadId, Completion((1, etagSmall!), (3, etagBig!)))).Body));
        Assert.Equal("InvalidPart", Code((await CompleteAsync(key, uploadId, Completion((1, etagBig!), (2, etagBig!)))).Body));
        Assert.Equal("EntityTooSmall", Code((await CompleteAsync(key, uploadId, Completion((1, etagSmall!), (2, etagBig!)))).Body));
        Assert.Equal("MalformedXML", Code((await CompleteAsync(key, uploadId, "<CompleteMultipartUpload/>")).Body));
        Assert.Equal("MalformedXML", Code((await CompleteAsync(key, uploadId, "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>")).Body));
        Assert.Equal("MalformedXML", Code((await CompleteAsync(key, uploadId, "<!DOCTYPE a [<!ENTITY e \"x\">]><CompleteMultipartUpload/>")).Body));
        Assert.Equal("MalformedXML", Code((await CompleteAsync(key, uploadId, "<Other/>")).Body));
        var badMd5 = new StringContent(Completion((2, etagBig!)), Encoding.UTF8, "application/xml");
        badMd5.Headers.ContentMD5 = new byte[16];
        Assert.Equal("BadDigest", Code((await SendAsync(HttpMethod.Post, Url(key, $"?uploadId={uploadId}"), badMd5)).Body));

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Head, Url(key))).Status);

        // The small part alone may be the last part: that completes.
        var (status, body, _) = await CompleteAsync(key, uploadId, Completion((1, etagSmall!)));
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal(small, await (await Gateway.Client.GetAsync(Url(key))).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Parts_AreCheckedAndRefused_InCosTerms()
    {
        var key = Unique("parts.bin");
        var uploadId = await InitiateAsync(key);
        var body = RandomNumberGenerator.GetBytes(4096);

        var (status, _, text) = await UploadPartAsync(key, uploadId, 1, body, MD5.HashData(RandomNumberGenerator.GetBytes(8)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("BadDigest", Code(text));
        Assert.Equal("InvalidArgument", Code((await UploadPartAsync(key, uploadId, 0, body)).Body));
        Assert.Equal("InvalidArgument", Code((await UploadPartAsync(key, uploadId, 10001, body)).Body));
        Assert.Equal("EntityTooLarge", Code((await UploadPartAsync(key, uploadId, 1, new byte[MiB + 1])).Body));
        Assert.Equal("NoSuchUpload", Code((await UploadPartAsync(key, "0000000000ffffffffffffffffffffffffffffffff", 1, body)).Body));
        Assert.Equal("NoSuchUpload", Code((await UploadPartAsync(key, "../../objects", 1, body)).Body));
        Assert.Equal("NoSuchUpload", Code((await UploadPartAsync(Unique("other-key"), uploadId, 1, body)).Body));

        var (_, list, _) = await SendAsync(HttpMethod.Get, Url(key, $"?uploadId={uploadId}"));
        Assert.Empty(XElement.Parse(list).Elements("Part"));

        // Unsigned, or with a credential not allowed on this bucket: refused before anything is read.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, Url(key, "?uploads"), new ByteArrayContent([]), sign: false)).Status);
        var (limited, limitedBody, _) = await SendAsync(HttpMethod.Put, Url(key, $"?partNumber=1&uploadId={uploadId}"), new ByteArrayContent(body), secretId: GatewayFixture.LimitedSecretId, secretKey: GatewayFixture.LimitedSecretKey);
        Assert.Equal(HttpStatusCode.Forbidden, limited);
        Assert.Equal("AccessDenied", Code(limitedBody));
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, new Uri(Gateway.DataUrl, "?uploads"), sign: false)).Status);
        // A method ?uploads does not take is a sub-resource call the gateway does not implement — never a PUT of the object.
        Assert.Equal("NotImplemented", Code((await SendAsync(HttpMethod.Put, Url(key, "?uploads"), new ByteArrayContent([]))).Body));
    }

    [Fact]
    public async Task Abort_RemovesTheUploadAndItsParts()
    {
        var key = Unique("aborted.bin");
        var uploadId = await InitiateAsync(key);
        var (_, etag, _) = await UploadPartAsync(key, uploadId, 1, RandomNumberGenerator.GetBytes(2048));

        var (status, _, _) = await SendAsync(HttpMethod.Delete, Url(key, $"?uploadId={uploadId}"));
        Assert.Equal(HttpStatusCode.NoContent, status);

        Assert.Equal("NoSuchUpload", Code((await SendAsync(HttpMethod.Get, Url(key, $"?uploadId={uploadId}"))).Body));
        Assert.Equal("NoSuchUpload", Code((await CompleteAsync(key, uploadId, Completion((1, etag!)))).Body));
        Assert.Equal("NoSuchUpload", Code((await SendAsync(HttpMethod.Delete, Url(key, $"?uploadId={uploadId}"))).Body));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Head, Url(key))).Status);
        var uploadsDirectory = Path.Combine(Gateway.DataDirectory, "buckets", GatewayProcess.DefaultBucket, "uploads", "objects");
        var left = Directory.Exists(uploadsDirectory) ? Directory.EnumerateFiles(uploadsDirectory, "*", SearchOption.AllDirectories).Count(f => File.ReadAllText(f).Contains(uploadId, StringComparison.Ordinal)) : 0;
        Assert.Equal(0, left);
    }

    [Fact]
    public async Task ListMultipartUploads_ByKeyThenId_WithPrefixDelimiterAndPaging()
    {
        var prefix = Unique("");
        var keys = new[] { prefix + "b", prefix + "a", prefix + "dir/x", prefix + "dir/y", prefix + "a" };
        var ids = new List<(string Key, string Id)>();
        foreach (var key in keys)
        {
            ids.Add((key, await InitiateAsync(key)));
        }
        var expected = ids.OrderBy(u => u.Key, StringComparer.Ordinal).ThenBy(u => u.Id, StringComparer.Ordinal).ToList();

        async Task<XElement> ListAsync(string query) =>
            XElement.Parse((await SendAsync(HttpMethod.Get, new Uri(Gateway.DataUrl, "?uploads&prefix=" + Uri.EscapeDataString(prefix) + query))).Body);

        var all = await ListAsync("");
        Assert.Equal(expected, all.Elements("Upload").Select(u => (u.Element("Key")!.Value, u.Element("UploadId")!.Value)));
        Assert.Equal("false", all.Element("IsTruncated")!.Value);

        var grouped = await ListAsync("&delimiter=/");
        Assert.Equal([prefix + "a", prefix + "a", prefix + "b"], grouped.Elements("Upload").Select(u => u.Element("Key")!.Value));
        Assert.Equal([prefix + "dir/"], grouped.Elements("CommonPrefixes").Select(p => p.Element("Prefix")!.Value));

        var paged = new List<(string, string)>();
        var marker = "";
        for (var page = 0; page < 10; page++)
        {
            var result = await ListAsync("&max-uploads=2" + marker);
            paged.AddRange(result.Elements("Upload").Select(u => (u.Element("Key")!.Value, u.Element("UploadId")!.Value)));
            if (result.Element("IsTruncated")!.Value != "true")
            {
                break;
            }
            marker = "&key-marker=" + Uri.EscapeDataString(result.Element("NextKeyMarker")!.Value) + "&upload-id-marker=" + result.Element("NextUploadIdMarker")!.Value;
        }
        Assert.Equal(expected, paged);

        foreach (var (key, id) in ids)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, Url(key, $"?uploadId={id}"))).Status);
        }
        Assert.Empty((await ListAsync("")).Elements("Upload"));
    }

    [Fact]
    public async Task UploadPartCopy_TakesAWholeObjectOrARange()
    {
        var source = Unique("copy-source.bin");
        var sourceBody = RandomNumberGenerator.GetBytes(MiB);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, Url(source), new ByteArrayContent(sourceBody))).Status);
        var key = Unique("copy-target.bin");
        var uploadId = await InitiateAsync(key);
        var copySource = "/" + GatewayProcess.DefaultBucket + "/" + Uri.EscapeDataString(source).Replace("%2F", "/", StringComparison.Ordinal);

        async Task<(HttpStatusCode Status, string Body)> CopyPartAsync(int number, string? range, string? from = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url(key, $"?partNumber={number}&uploadId={uploadId}")) { Content = new ByteArrayContent([]) };
            request.Headers.TryAddWithoutValidation("x-cos-copy-source", from ?? copySource);
            if (range is not null)
            {
                request.Headers.TryAddWithoutValidation("x-cos-copy-source-range", range);
            }
            var response = await Gateway.Client.SendAsync(request.Sign());
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (wholeStatus, whole) = await CopyPartAsync(1, null);
        Assert.True(wholeStatus == HttpStatusCode.OK, whole);
        Assert.Equal(Md5Quoted(sourceBody), XElement.Parse(whole).Element("ETag")!.Value);
        var (rangeStatus, ranged) = await CopyPartAsync(2, "bytes=100-199");
        Assert.True(rangeStatus == HttpStatusCode.OK, ranged);
        Assert.Equal(Md5Quoted(sourceBody[100..200]), XElement.Parse(ranged).Element("ETag")!.Value);

        Assert.Equal("InvalidArgument", Code((await CopyPartAsync(3, "bytes=0-" + sourceBody.Length)).Body));
        Assert.Equal("InvalidArgument", Code((await CopyPartAsync(3, "items=1-2")).Body));
        Assert.Equal("NoSuchKey", Code((await CopyPartAsync(3, null, from: "/" + GatewayProcess.DefaultBucket + "/no/such/key")).Body));

        var (status, body, _) = await CompleteAsync(key, uploadId, Completion((1, Md5Quoted(sourceBody)), (2, Md5Quoted(sourceBody[100..200]))));
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal(sourceBody.Concat(sourceBody[100..200]).ToArray(), await (await Gateway.Client.GetAsync(Url(key))).Content.ReadAsByteArrayAsync());
    }
}
