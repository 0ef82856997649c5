using System.Net;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Buckets;

/// <summary>Object ACLs and tags: who may read, what is refused, what survives and what goes with the object.</summary>
public sealed class ObjectAclAndTaggingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private static string Unique(string name) => $"acl-{Guid.NewGuid():N}/{name}";

    private Uri Url(string pathAndQuery) => new(Gateway.DataUrl, pathAndQuery);

    private static HttpRequestMessage Private(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Host = GatewayFixture.PrivateHost;
        return request;
    }

    private async Task<HttpStatusCode> SendAsync(HttpRequestMessage request, bool sign = true) =>
        (await Gateway.Client.SendAsync(sign ? request.Sign() : request)).StatusCode;

    private async Task PutObjectAsync(HttpRequestMessage request, string body = "acl body", params (string Name, string Value)[] headers)
    {
        request.Content = CosSigner.Bytes(Encoding.UTF8.GetBytes(body), "text/plain");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        Assert.Equal(HttpStatusCode.OK, await SendAsync(request));
    }

    private async Task<HttpStatusCode> SetAclAsync(HttpRequestMessage request, string acl)
    {
        request.Headers.Add("x-cos-acl", acl);
        return await SendAsync(request);
    }

    [Fact]
    public async Task PublicRead_OpensAnObjectOfAPrivateBucket_PrivateClosesIt_DefaultFollowsTheBucket()
    {
        var key = Unique("doc.txt");
        await PutObjectAsync(Private(HttpMethod.Put, Url(key)));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Private(HttpMethod.Get, Url(key)), sign: false));

        Assert.Equal(HttpStatusCode.OK, await SetAclAsync(Private(HttpMethod.Put, Url(key + "?acl")), "public-read"));
        var anonymous = await Gateway.Client.SendAsync(Private(HttpMethod.Get, Url(key)));
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal("acl body", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Private(HttpMethod.Head, Url(key)), sign: false));
        // Only that object: the bucket stays private, its other objects and its listing too.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Private(HttpMethod.Get, Url(Unique("other.txt"))), sign: false));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Private(HttpMethod.Get, Url("")), sign: false));

        Assert.Equal(HttpStatusCode.OK, await SetAclAsync(Private(HttpMethod.Put, Url(key + "?acl")), "default"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Private(HttpMethod.Get, Url(key)), sign: false));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Private(HttpMethod.Get, Url(key))));
    }

    [Fact]
    public async Task Private_ClosesAnObjectOfAPublicReadBucket_ToAnonymousReadsOnly()
    {
        var key = Unique("closed.txt");
        await PutObjectAsync(new HttpRequestMessage(HttpMethod.Put, Url(key)), "closed", ("x-cos-acl", "private"));
        var refused = await Gateway.Client.GetAsync(Url(key));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("AccessDenied", XDocument.Parse(await refused.Content.ReadAsStringAsync()).Root!.Element("Code")!.Value);
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key)), sign: false));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(key))));

        var acl = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(key + "?acl")).Sign());
        Assert.Equal("private", acl.Headers.GetValues("x-cos-acl").Single());
        var grants = XDocument.Parse(await acl.Content.ReadAsStringAsync()).Root!.Element("AccessControlList")!.Elements("Grant").ToList();
        Assert.Equal("FULL_CONTROL", Assert.Single(grants).Element("Permission")!.Value);

        Assert.Equal(HttpStatusCode.OK, await SetAclAsync(new HttpRequestMessage(HttpMethod.Put, Url(key + "?acl")), "default"));
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.GetAsync(Url(key))).StatusCode);
    }

    [Fact]
    public async Task AGrantToEveryone_InAnAccessControlPolicyDocument_OpensTheObject_AndRoundTrips()
    {
        var key = Unique("granted.txt");
        await PutObjectAsync(Private(HttpMethod.Put, Url(key)));
        var document = """
            <AccessControlPolicy><Owner><ID>qcs::cam::uin/1250000000:uin/1250000000</ID></Owner><AccessControlList>
            <Grant><Grantee><ID>qcs::cam::uin/10002:uin/10002</ID></Grantee><Permission>READ</Permission></Grant>
            <Grant><Grantee><URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
            </AccessControlList></AccessControlPolicy>
            """;
        var put = Private(HttpMethod.Put, Url(key + "?acl"));
        put.Content = new StringContent(document, Encoding.UTF8, "application/xml");
        Assert.Equal(HttpStatusCode.OK, await SendAsync(put));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Private(HttpMethod.Get, Url(key)), sign: false));

        var acl = await Gateway.Client.SendAsync(Private(HttpMethod.Get, Url(key + "?acl")).Sign());
        Assert.Equal("public-read", acl.Headers.GetValues("x-cos-acl").Single());
        var grants = XDocument.Parse(await acl.Content.ReadAsStringAsync()).Root!.Element("AccessControlList")!.Elements("Grant")
            .Select(g => (g.Element("Grantee")!.Elements().First().Value, g.Element("Permission")!.Value)).ToList();
        Assert.Equal([("qcs::cam::uin/10002:uin/10002", "READ"), ("http://cam.qcloud.com/groups/global/AllUsers", "READ")], grants);

        // Header grants: bare uins become COS account ids; the owner keeps full control.
        var headers = Private(HttpMethod.Put, Url(key + "?acl"));
        headers.Headers.TryAddWithoutValidation("x-cos-grant-read", "id=\"100000000011\", id=\"qcs::cam::uin/1001:uin/1002\"");
        Assert.Equal(HttpStatusCode.OK, await SendAsync(headers));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Private(HttpMethod.Get, Url(key)), sign: false));
        var again = XDocument.Parse(await (await Gateway.Client.SendAsync(Private(HttpMethod.Get, Url(key + "?acl")).Sign())).Content.ReadAsStringAsync());
        Assert.Equal(["qcs::cam::uin/1250000000:uin/1250000000", "qcs::cam::uin/100000000011:uin/100000000011", "qcs::cam::uin/1001:uin/1002"],
            again.Descendants("Grantee").Select(g => g.Element("ID")!.Value));
    }

    [Fact]
    public async Task AnExplicitDenyOfTheBucketPolicy_WinsOverAPublicReadObject()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var policy = """
            {"version":"2.0","Statement":[{"Effect":"deny","Principal":{"qcs":["qcs::cam::anyone:anyone"]},
             "Action":["name/cos:GetObject","name/cos:HeadObject"],"Resource":["qcs::cos:*:uid/1250000000:examplebucket-1250000000/secret/*"]}]}
            """;
        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?policy")) { Content = new StringContent(policy) }.Sign())).StatusCode);
        foreach (var key in new[] { "secret/a.txt", "open/a.txt" })
        {
            var put = new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, key)) { Content = CosSigner.Bytes("x"u8.ToArray()) };
            put.Headers.Add("x-cos-acl", "public-read");
            Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(put.Sign())).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "secret/a.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, "secret/a.txt")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "open/a.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, "secret/a.txt")).Sign())).StatusCode);
    }

    [Theory]
    [InlineData("x-cos-acl", "public-read-write")]
    [InlineData("x-cos-acl", "authenticated-read")]
    [InlineData("x-cos-grant-read", "id=100")]
    [InlineData("x-cos-grant-full-control", "id=\"qcs::cam::nobody\"")]
    [InlineData("x-cos-tagging", "k=v&k=w")]
    [InlineData("x-cos-tagging", "k1=1&k2=2&k3=3&k4=4&k5=5&k6=6&k7=7&k8=8&k9=9&k10=10&k11=11")]
    [InlineData("x-cos-tagging", "bad%23key=v")]
    public async Task ABadAclOrTag_IsRefusedWith400_AndNothingIsStoredOrChanged(string header, string value)
    {
        var key = Unique("refused.txt");
        var put = new HttpRequestMessage(HttpMethod.Put, Url(key)) { Content = CosSigner.Bytes("x"u8.ToArray()) };
        put.Headers.TryAddWithoutValidation(header, value);
        var refused = await Gateway.Client.SendAsync(put.Sign());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(header == "x-cos-tagging" ? "InvalidTag" : "InvalidArgument", XDocument.Parse(await refused.Content.ReadAsStringAsync()).Root!.Element("Code")!.Value);
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key))));

        // The same value on an existing object's ?acl changes nothing.
        await PutObjectAsync(new HttpRequestMessage(HttpMethod.Put, Url(key)), "kept", ("x-cos-acl", "private"), ("x-cos-tagging", "a=1"));
        if (header != "x-cos-tagging")
        {
            var acl = new HttpRequestMessage(HttpMethod.Put, Url(key + "?acl"));
            acl.Headers.TryAddWithoutValidation(header, value);
            Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(acl));
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await Gateway.Client.GetAsync(Url(key))).StatusCode);
        var get = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(key)).Sign());
        Assert.Equal("kept", await get.Content.ReadAsStringAsync());
        Assert.Equal("1", get.Headers.GetValues("x-cos-tagging-count").Single());
    }

    [Theory]
    [InlineData("<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>")]
    [InlineData("<Tagging><TagSet><Tag><Key></Key><Value>1</Value></Tag></TagSet></Tagging>")]
    [InlineData("<Tagging><TagSet><Tag><Key>kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk</Key><Value>1</Value></Tag></TagSet></Tagging>")]
    [InlineData("<Tagging><TagSet><Tag><Key>a</Key><Value>semi;colon</Value></Tag></TagSet></Tagging>")]
    public async Task ATaggingDocumentThatBreaksTheRules_IsInvalidTag_AndTheTagsStay(string document)
    {
        var key = Unique("tagged.txt");
        await PutObjectAsync(new HttpRequestMessage(HttpMethod.Put, Url(key)), "tagged", ("x-cos-tagging", "keep=me"));
        var put = new HttpRequestMessage(HttpMethod.Put, Url(key + "?tagging")) { Content = new StringContent(document, Encoding.UTF8, "application/xml") };
        var refused = await Gateway.Client.SendAsync(put.Sign());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("InvalidTag", XDocument.Parse(await refused.Content.ReadAsStringAsync()).Root!.Element("Code")!.Value);
        Assert.Equal([("keep", "me")], await TagsAsync(key));
    }

    [Fact]
    public async Task ElevenTagsInADocument_AreRefused()
    {
        var key = Unique("eleven.txt");
        await PutObjectAsync(new HttpRequestMessage(HttpMethod.Put, Url(key)));
        var tags = string.Concat(Enumerable.Range(1, 11).Select(i => $"<Tag><Key>k{i}</Key><Value>v</Value></Tag>"));
        var put = new HttpRequestMessage(HttpMethod.Put, Url(key + "?tagging")) { Content = new StringContent($"<Tagging><TagSet>{tags}</TagSet></Tagging>") };
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(put));
        Assert.Empty(await TagsAsync(key));
    }

    [Fact]
    public async Task OnAMissingKey_AclAndTaggingAreNoSuchKey_AndCreateNothing()
    {
        var key = Unique("missing.txt");
        var calls = new List<HttpRequestMessage>
        {
            new(HttpMethod.Get, Url(key + "?acl")),
            new(HttpMethod.Put, Url(key + "?acl")) { Headers = { { "x-cos-acl", "public-read" } } },
            new(HttpMethod.Get, Url(key + "?tagging")),
            new(HttpMethod.Put, Url(key + "?tagging")) { Content = new StringContent("<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>") },
            new(HttpMethod.Delete, Url(key + "?tagging")),
        };
        foreach (var call in calls)
        {
            var response = await Gateway.Client.SendAsync(call.Sign());
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("NoSuchKey", XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Code")!.Value);
        }
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key))));
    }

    [Fact]
    public async Task TagsAndAcl_FromAMultipartInitiate_AndThroughACopy()
    {
        var key = Unique("multipart.bin");
        var initiate = new HttpRequestMessage(HttpMethod.Post, Url(key + "?uploads"));
        initiate.Headers.Add("x-cos-acl", "private");
        initiate.Headers.Add("x-cos-tagging", "project=alpha&stage=raw%20data");
        var initiated = await Gateway.Client.SendAsync(initiate.Sign());
        var uploadId = XDocument.Parse(await initiated.Content.ReadAsStringAsync()).Root!.Element("UploadId")!.Value;
        var part = new HttpRequestMessage(HttpMethod.Put, Url($"{key}?partNumber=1&uploadId={uploadId}")) { Content = CosSigner.Bytes("only part"u8.ToArray()) };
        var etag = (await Gateway.Client.SendAsync(part.Sign())).Headers.ETag!.Tag;
        var complete = new HttpRequestMessage(HttpMethod.Post, Url($"{key}?uploadId={uploadId}"))
        {
            Content = new StringContent($"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"),
        };
        Assert.Equal(HttpStatusCode.OK, await SendAsync(complete));
        Assert.Equal([("project", "alpha"), ("stage", "raw data")], await TagsAsync(key));
        Assert.Equal(HttpStatusCode.Forbidden, (await Gateway.Client.GetAsync(Url(key))).StatusCode);

        // A copy keeps the source's tags (never its ACL) unless told to replace them.
        var copied = Unique("copied.bin");
        var copy = new HttpRequestMessage(HttpMethod.Put, Url(copied));
        copy.Headers.Add("x-cos-copy-source", $"{GatewayProcess.DefaultBucket}.cos.ap-guangzhou.myqcloud.com/{key}");
        Assert.Equal(HttpStatusCode.OK, await SendAsync(copy));
        Assert.Equal([("project", "alpha"), ("stage", "raw data")], await TagsAsync(copied));
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.GetAsync(Url(copied))).StatusCode);

        var replaced = Unique("replaced.bin");
        var copyReplacing = new HttpRequestMessage(HttpMethod.Put, Url(replaced));
        copyReplacing.Headers.Add("x-cos-copy-source", $"{GatewayProcess.DefaultBucket}.cos.ap-guangzhou.myqcloud.com/{key}");
        copyReplacing.Headers.Add("x-cos-tagging-directive", "Replaced");
        copyReplacing.Headers.Add("x-cos-tagging", "only=this");
        copyReplacing.Headers.Add("x-cos-acl", "private");
        Assert.Equal(HttpStatusCode.OK, await SendAsync(copyReplacing));
        Assert.Equal([("only", "this")], await TagsAsync(replaced));
        Assert.Equal(HttpStatusCode.Forbidden, (await Gateway.Client.GetAsync(Url(replaced))).StatusCode);
    }

    [Fact]
    public async Task AttributesSurviveARestart_AndChangingThemKeepsTheBodyAndItsValidators()
    {
        await using var first = await GatewayProcess.StartAsync();
        var url = new Uri(first.DataUrl, "kept/after-restart.txt");
        var put = new HttpRequestMessage(HttpMethod.Put, url) { Content = CosSigner.Bytes("restart me"u8.ToArray(), "text/plain") };
        Assert.Equal(HttpStatusCode.OK, (await first.Client.SendAsync(put.Sign())).StatusCode);
        var before = await first.Client.GetAsync(url);
        var tagging = new HttpRequestMessage(HttpMethod.Put, new Uri(url + "?tagging")) { Content = new StringContent("<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>") };
        Assert.Equal(HttpStatusCode.OK, (await first.Client.SendAsync(tagging.Sign())).StatusCode);
        var acl = new HttpRequestMessage(HttpMethod.Put, new Uri(url + "?acl"));
        acl.Headers.Add("x-cos-acl", "private");
        Assert.Equal(HttpStatusCode.OK, (await first.Client.SendAsync(acl.Sign())).StatusCode);
        var directory = first.DataDirectory;
        await first.StopAsync();

        await using var second = await GatewayProcess.StartAsync(dataDirectory: directory);
        url = new Uri(second.DataUrl, "kept/after-restart.txt");
        Assert.Equal(HttpStatusCode.Forbidden, (await second.Client.GetAsync(url)).StatusCode);
        var after = await second.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url).Sign());
        Assert.Equal("restart me", await after.Content.ReadAsStringAsync());
        Assert.Equal(before.Headers.ETag, after.Headers.ETag);
        Assert.Equal(before.Content.Headers.LastModified, after.Content.Headers.LastModified);
        Assert.Equal("1", after.Headers.GetValues("x-cos-tagging-count").Single());
    }

    private async Task<List<(string, string)>> TagsAsync(string key)
    {
        var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(key + "?tagging")).Sign());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("TagSet")!.Elements("Tag")
            .Select(t => (t.Element("Key")!.Value, t.Element("Value")!.Value)).ToList();
    }
}
