using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Security;

namespace OriginGateway.FunctionalTests.Security;

/// <summary>
/// Presigned URLs as the presigners that make them and the holders that use them treat them, on a private bucket: the
/// headers a presigner moves into the URL are applied as the headers they stand for (S3 does), and the holder of a URL
/// cannot add a directive header its signature does not cover — an upload URL that signs only <c>host</c> would
/// otherwise copy any object the signer can read into the upload and make it public.
/// </summary>
public sealed class PresignedUrlTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync(["--Buckets:0:PublicRead=false"]);

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    private string Endpoint => _gateway.DataUrl.ToString().TrimEnd('/');

    [Fact]
    public async Task JavaScriptSdk_PresignedPut_AppliesTheMetadataAclAndTagsOfItsUrl_AndRefusesEveryDirectiveItsHolderAdds()
    {
        NodeScript.RequirePackage("@aws-sdk/client-s3");
        NodeScript.RequirePackage("@aws-sdk/s3-request-presigner");

        var (exit, stdout, stderr) = await NodeScript.RunAsync("presigned-headers-check.js", Endpoint, GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket);

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        var root = seen.RootElement;

        // The presigner put Metadata, ACL and Tagging in the URL (and an empty body's checksum); all but that checksum apply.
        var hoisted = root.GetProperty("hoisted");
        Assert.Equal(["x-amz-acl", "x-amz-checksum-crc32", "x-amz-meta-color", "x-amz-sdk-checksum-algorithm", "x-amz-tagging"],
            hoisted.GetProperty("url_parameters").EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(200, hoisted.GetProperty("status").GetInt32());
        Assert.Equal("blue", hoisted.GetProperty("metadata").GetProperty("color").GetString());
        var tag = Assert.Single(hoisted.GetProperty("tags").EnumerateArray());
        Assert.Equal(("team", "media"), (tag.GetProperty("Key").GetString(), tag.GetProperty("Value").GetString()));
        Assert.Equal(200, hoisted.GetProperty("anonymous_get").GetInt32());

        // Every directive the holder of an upload URL adds is refused as S3 refuses it, naming the header; nothing is written.
        foreach (var added in root.GetProperty("added").EnumerateObject())
        {
            Assert.True(added.Value.GetProperty("status").GetInt32() == 403 && added.Value.GetProperty("code").GetString() == "AccessDenied"
                && added.Value.GetProperty("not_signed").GetString() == added.Name, $"{added.Name}: {added.Value}");
        }
        Assert.Equal(404, root.GetProperty("upload_after_refusals").GetInt32());
        Assert.Equal(403, root.GetProperty("upload_anonymous_get").GetInt32());

        // The URL itself still uploads: its empty body's checksum is not held against the body.
        Assert.Equal("x-amz-checksum-crc32", root.GetProperty("checksum_parameter").GetString());
        Assert.Equal(200, root.GetProperty("plain_upload").GetProperty("status").GetInt32());
        Assert.Equal("the upload itself", root.GetProperty("plain_upload").GetProperty("body").GetString());

        // A header the signer signed (kept out of the URL) is sent by the holder and applied.
        Assert.Equal(200, root.GetProperty("signed_header").GetProperty("status").GetInt32());
        Assert.Equal("camera", root.GetProperty("signed_header").GetProperty("metadata").GetProperty("origin").GetString());
    }

    [Fact]
    public async Task SignatureVersion2_PresignedUrlsOfBotoAndBotocore_SignAndApplyTheirAmzParameters_AndRefuseUnsignedCosHeaders()
    {
        ExternalTool.RequireAt("/usr/lib/python3/dist-packages/boto/__init__.py", "python3-boto");

        var (exit, stdout, stderr) = await PythonClient.RunAsync("v2_presigned.py", Endpoint, GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket);

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        var root = seen.RootElement;
        // boto 2's GET URL of a key it read carries the key's metadata as a signed parameter.
        Assert.True(root.GetProperty("boto_get").GetProperty("has_meta_parameter").GetBoolean());
        Assert.Equal((200, "from boto 2"), (root.GetProperty("boto_get").GetProperty("status").GetInt32(), root.GetProperty("boto_get").GetProperty("body").GetString()));
        Assert.Equal((403, "SignatureDoesNotMatch"), (root.GetProperty("boto_get_tampered").GetProperty("status").GetInt32(), root.GetProperty("boto_get_tampered").GetProperty("code").GetString()));
        Assert.Equal((403, "AccessDenied"), (root.GetProperty("boto_put_with_cos_header").GetProperty("status").GetInt32(), root.GetProperty("boto_put_with_cos_header").GetProperty("code").GetString()));
        // A sub-resource added to the URL: S3's is signed by Version 2 (so the signature fails), COS's must be.
        Assert.Equal((403, "SignatureDoesNotMatch"), (root.GetProperty("boto_put_with_acl_added").GetProperty("status").GetInt32(), root.GetProperty("boto_put_with_acl_added").GetProperty("code").GetString()));
        var append = root.GetProperty("boto_put_with_append_added");
        Assert.Equal((403, "AccessDenied", "append, position"), (append.GetProperty("status").GetInt32(), append.GetProperty("code").GetString(), append.GetProperty("parameters_not_signed").GetString()));
        // botocore's PUT URL: its Metadata and ACL apply; changed, the URL is refused and the object stays.
        var put = root.GetProperty("botocore_put");
        Assert.Equal(200, put.GetProperty("status").GetInt32());
        Assert.Equal("green", put.GetProperty("metadata").GetProperty("color").GetString());
        Assert.Equal(200, put.GetProperty("anonymous_get").GetInt32());
        var tampered = root.GetProperty("botocore_put_tampered");
        Assert.Equal((403, "SignatureDoesNotMatch", "from botocore"), (tampered.GetProperty("status").GetInt32(), tampered.GetProperty("code").GetString(), tampered.GetProperty("body_kept").GetString()));
    }

    [Fact]
    public async Task CosPresignedUrls_RefuseHeadersAndSubresourcesTheirListsLeaveOut_WhileAnAuthorizationHeaderSignsAsCosDoes()
    {
        var secret = $"presigned-cos/{Guid.NewGuid():N}/secret.txt";
        var upload = $"presigned-cos/{Guid.NewGuid():N}/upload.txt";
        Assert.Equal(200, (await RawHttp.SendSignedAsync(_gateway.DataPort, "PUT", "/" + secret, "/" + secret, "not for the holder"u8.ToArray())).Status);
        var url = CosSignature.Presign(new Uri(_gateway.DataUrl, upload), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), "PUT");

        foreach (var (name, value) in new[] { ("x-cos-copy-source", $"{GatewayProcess.DefaultBucket}.cos.ap-guangzhou.myqcloud.com/{secret}"), ("x-cos-acl", "public-read"), ("x-cos-meta-owner", "someone") })
        {
            var refused = await RawHttp.SendAsync(_gateway.DataPort, "PUT", url.PathAndQuery, [new(name, value)], []);
            Assert.True(refused.Status == 403 && refused.Text.Contains("<Code>AccessDenied</Code>", StringComparison.Ordinal) && refused.Text.Contains(name, StringComparison.Ordinal),
                $"{name}: {refused.Status} {refused.Text}");
        }
        Assert.Equal(404, (await RawHttp.SendSignedAsync(_gateway.DataPort, "HEAD", "/" + upload, "/" + upload)).Status);

        Assert.Equal(200, (await RawHttp.SendAsync(_gateway.DataPort, "PUT", url.PathAndQuery, body: "the upload"u8.ToArray())).Status);
        var stored = await RawHttp.SendSignedAsync(_gateway.DataPort, "GET", "/" + upload, "/" + upload);
        Assert.Equal((200, "the upload"), (stored.Status, stored.Text));

        // Nor may the holder add a sub-resource its q-url-param-list leaves out: ?acl would publish the object, ?tagging tag it.
        var everyone = """<AccessControlPolicy><Owner><ID>qcs::cam::uin/1250000000:uin/1250000000</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>""";
        foreach (var (added, body) in new[] { ("acl", everyone), ("tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>") })
        {
            var refused = await RawHttp.SendAsync(_gateway.DataPort, "PUT", url.PathAndQuery + "&" + added, body: System.Text.Encoding.UTF8.GetBytes(body));
            Assert.True(refused.Status == 403 && refused.Text.Contains("not signed (q-url-param-list): " + added, StringComparison.Ordinal), $"?{added}: {refused.Status} {refused.Text}");
        }
        Assert.Equal(403, (await RawHttp.SendAsync(_gateway.DataPort, "GET", "/" + upload)).Status);
        // A sub-resource the URL signs is the signer's: served (here the response-* override beside it too).
        var withAcl = CosSignature.Presign(new Uri(_gateway.DataUrl, upload + "?acl"), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        var acl = await RawHttp.SendAsync(_gateway.DataPort, "GET", withAcl.PathAndQuery);
        Assert.True(acl.Status == 200 && acl.Text.Contains("<AccessControlPolicy>", StringComparison.Ordinal), $"{acl.Status} {acl.Text}");
        var asText = CosSignature.Presign(new Uri(_gateway.DataUrl, upload + "?response-content-type=text%2Fplain"), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        var served = await RawHttp.SendAsync(_gateway.DataPort, "GET", asText.PathAndQuery);
        Assert.Equal((200, "the upload", "text/plain"), (served.Status, served.Text, served.Headers.First(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value));

        // An Authorization header is the signer's own request: COS does not require its x-cos-* headers signed, nor does the gateway.
        var now = DateTimeOffset.UtcNow;
        var authorization = CosSignature.Authorization(GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, now, now.AddMinutes(5), "PUT", "/" + upload, [],
            [new("host", _gateway.DataUrl.Authority)]);
        var meta = await RawHttp.SendAsync(_gateway.DataPort, "PUT", "/" + upload, [new("Authorization", authorization), new("x-cos-meta-kept", "yes")], "again"u8.ToArray());
        Assert.Equal(200, meta.Status);
        var head = await RawHttp.SendSignedAsync(_gateway.DataPort, "HEAD", "/" + upload, "/" + upload);
        Assert.Contains(head.Headers, h => h.Key.Equals("x-cos-meta-kept", StringComparison.OrdinalIgnoreCase) && h.Value == "yes");
    }
}
