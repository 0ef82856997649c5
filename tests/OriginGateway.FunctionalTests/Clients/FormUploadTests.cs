using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// Browser form uploads (POST Object). Before, a POST of a form to a bucket was 405 MethodNotAllowed: presigned POSTs
/// made by boto3 (<c>generate_presigned_post</c>), the MinIO client or any S3 SDK, and the HTML forms that browsers
/// submit with them, could not upload at all. The judges here: boto3's signed forms (both signature versions) posted
/// as a browser posts them, and Debian's Chromium submitting an HTML form and following its redirect.
/// </summary>
public sealed class FormUploadTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync([$"--Buckets:1:Name={GatewayFixture.PrivateBucket}"]);

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private string Endpoint => _gateway.DataUrl.ToString().TrimEnd('/');

    private Task<(int Exit, string Out, string Err)> Boto3PostAsync(params string[] arguments) =>
        PythonClient.RunAsync("boto3_post.py", [Endpoint, GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayFixture.PrivateBucket, .. arguments]);

    /// <summary>A Signature Version 4 form made by boto3 for <paramref name="key"/> (public-read, text/plain, 1 to 1000 bytes), redirecting to <paramref name="redirect"/>.</summary>
    private async Task<(string Url, Dictionary<string, string> Fields)> FormAsync(string key, string redirect)
    {
        var (exit, stdout, stderr) = await Boto3PostAsync($"form-{Guid.NewGuid():N}/", "--fields", key, redirect);
        Assert.True(exit == 0, stderr + stdout);
        using var form = JsonDocument.Parse(stdout);
        return (form.RootElement.GetProperty("url").GetString()!,
            form.RootElement.GetProperty("fields").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!));
    }

    [Fact]
    public async Task Boto3_PresignedPosts_StoreTheFileWithTheirFields_AndEveryRefusalStoresNothing()
    {
        var (exit, stdout, stderr) = await Boto3PostAsync($"boto3-{Guid.NewGuid():N}/");

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        foreach (var version in new[] { "s3v4", "s3" })
        {
            var run = seen.RootElement.GetProperty(version);
            int Status(string scenario) => run.GetProperty(scenario).GetProperty("status").GetInt32();
            string Body(string scenario) => run.GetProperty(scenario).GetProperty("body").GetString()!;

            // success_action_status 201: the PostResponse document; the key took the file's name.
            Assert.Equal(201, Status("created"));
            Assert.Contains("<Key>", Body("created"), StringComparison.Ordinal);
            Assert.Contains($"/{version}/picture.png</Key>", Body("created"), StringComparison.Ordinal);
            var created = run.GetProperty("created_object");
            Assert.Equal("image/png", created.GetProperty("type").GetString());
            Assert.Equal("blue", created.GetProperty("meta").GetProperty("color").GetString());
            Assert.Equal("max-age=60", created.GetProperty("cache").GetString());
            Assert.EndsWith("PNG not really", created.GetProperty("body").GetString(), StringComparison.Ordinal);
            // acl=public-read opened the object in the private bucket; the one posted without it stays private.
            Assert.Equal(200, run.GetProperty("created_anonymous").GetInt32());
            Assert.Equal(403, run.GetProperty("default_anonymous").GetInt32());

            Assert.Equal(204, Status("default"));
            Assert.Equal(303, Status("redirect"));
            var location = run.GetProperty("redirect").GetProperty("location").GetString()!;
            Assert.StartsWith("http://127.0.0.1:9/done?from=form&bucket=" + GatewayFixture.PrivateBucket + "&key=", location, StringComparison.Ordinal);
            Assert.Contains("&etag=%22", location, StringComparison.Ordinal);

            // A Tagging document and an x-amz-checksum-sha256 field: stored with the object; a checksum of other bytes, a bad
            // tag and a document that is not XML store nothing.
            Assert.Equal(204, Status("tagged"));
            Assert.Equal("web", run.GetProperty("tagged_tags").GetProperty("team").GetString());
            Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("tagged and checksummed"u8)), run.GetProperty("tagged_checksum").GetString());
            Assert.Equal((400, "BadDigest"), (Status("bad_checksum"), Code(Body("bad_checksum"))));
            Assert.Equal((400, "InvalidTag"), (Status("bad_tag"), Code(Body("bad_tag"))));
            Assert.Equal((400, "MalformedXML"), (Status("bad_tagging_xml"), Code(Body("bad_tagging_xml"))));
            Assert.Equal((400, "MetadataTooLarge"), (Status("metadata_too_large"), Code(Body("metadata_too_large"))));
            Assert.Equal("404", run.GetProperty("refused_object").GetProperty("error").GetString()); // HEAD: no body, so botocore names the status

            Assert.Equal((400, "EntityTooLarge"), (Status("too_large"), Code(Body("too_large"))));
            Assert.Equal((400, "EntityTooSmall"), (Status("too_small"), Code(Body("too_small"))));
            Assert.Equal((403, "AccessDenied"), (Status("expired"), Code(Body("expired"))));
            Assert.Contains("Policy expired", Body("expired"), StringComparison.Ordinal);
            Assert.Equal((403, "AccessDenied"), (Status("other_key"), Code(Body("other_key"))));
            Assert.Equal((403, "AccessDenied"), (Status("extra_field"), Code(Body("extra_field"))));
            Assert.Contains("Extra input fields: x-amz-meta-sneaked", Body("extra_field"), StringComparison.Ordinal);
            Assert.Equal((403, "SignatureDoesNotMatch"), (Status("wrong_secret"), Code(Body("wrong_secret"))));
            // Every refused form aimed at kept.txt: it holds what was PUT before them.
            Assert.Equal("original", run.GetProperty("kept_object").GetProperty("body").GetString());
            Assert.Equal(["kept.txt", "picture.png", "plain.txt", "redirected.txt", "tagged.txt"], run.GetProperty("listing").EnumerateArray().Select(k => k.GetString()!).ToArray());
        }
    }

    private static string Code(string errorXml) => System.Xml.Linq.XDocument.Parse(errorXml).Root!.Element("Code")!.Value;

    [Fact]
    public async Task Chromium_SubmitsAnHtmlUploadForm_AndLandsOnTheUploadedObject()
    {
        NodeScript.RequirePackage("playwright-core");
        ExternalTool.Require("chromium", "chromium");
        var prefix = $"browser-{Guid.NewGuid():N}/";
        var objectUrl = $"{Endpoint}/{GatewayFixture.PrivateBucket}/{prefix}hello.txt";
        var (url, fields) = await FormAsync(prefix + "${filename}", objectUrl);
        var work = TestPaths.NewTempDirectory("og-form-upload");
        var formJson = Path.Combine(work, "form.json");
        await File.WriteAllTextAsync(formJson, JsonSerializer.Serialize(new { url, fields }));
        var file = Path.Combine(work, "hello.txt");
        await File.WriteAllTextAsync(file, "hello from a browser form\n");

        var (exit, stdout, stderr) = await NodeScript.RunAsync("form-upload-check.js", formJson, file);

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        // The browser followed the 303 to the object (public-read by the form), with the bucket, key and ETag added.
        Assert.StartsWith(objectUrl + "?bucket=" + GatewayFixture.PrivateBucket + "&key=" + Uri.EscapeDataString(prefix + "hello.txt") + "&etag=", seen.RootElement.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal("hello from a browser form", seen.RootElement.GetProperty("text").GetString()!.Trim());
        var stored = await _gateway.Client.GetAsync(new Uri(objectUrl));
        Assert.Equal("text/plain", stored.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// A COS form (POST Object signed with <c>q-*</c> fields over the policy's JSON), made and posted as COS documents it
    /// for browser uploads (a Node.js signer, fetch and FormData): stored with its fields, answered in COS's dialect; a
    /// field the policy does not allow, another secret or a file over the range store nothing.
    /// </summary>
    [Fact]
    public async Task CosSignedForms_StoreTheFileInCosDialect_AndEveryRefusalStoresNothing()
    {
        var prefix = $"cos-form-{Guid.NewGuid():N}/";
        var (exit, stdout, stderr) = await NodeScript.RunAsync("cos-post-object-check.js", $"{Endpoint}/{GatewayFixture.PrivateBucket}",
            GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, prefix);

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        (int Status, string Code) Answer(string name)
        {
            var answer = seen.RootElement.GetProperty(name);
            Assert.False(string.IsNullOrEmpty(answer.GetProperty("requestId").GetString()), name + " carries x-cos-request-id");
            var body = answer.GetProperty("body").GetString()!;
            return (answer.GetProperty("status").GetInt32(), body.Contains("<Error>", StringComparison.Ordinal) ? Code(body) : "");
        }
        Assert.Equal(201, Answer("created").Status);
        Assert.Contains($"<Key>{prefix}cos.txt</Key>", seen.RootElement.GetProperty("created").GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal((403, "AccessDenied"), Answer("tampered"));
        Assert.Equal((403, "SignatureDoesNotMatch"), Answer("wrongSecret"));
        Assert.Equal((400, "EntityTooLarge"), Answer("tooLarge"));

        using var stored = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri($"{Endpoint}/{GatewayFixture.PrivateBucket}/{prefix}cos.txt")).Sign());
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        Assert.Equal("posted to COS", await stored.Content.ReadAsStringAsync());
        Assert.Equal("form", stored.Headers.GetValues("x-cos-meta-origin").Single());
        Assert.Equal("2", stored.Headers.GetValues("x-cos-tagging-count").Single());
        Assert.Equal("text/plain", stored.Content.Headers.ContentType?.MediaType);
        foreach (var refused in new[] { "tampered.txt", "forged.txt", "large.txt" })
        {
            using var head = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"{Endpoint}/{GatewayFixture.PrivateBucket}/{prefix}{refused}")).Sign());
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }
    }

    [Fact]
    public async Task FormsThatAreNotUploads_AreRefusedInS3Xml_AndAFileCutShortStoresNothing()
    {
        var prefix = $"raw-{Guid.NewGuid():N}/";
        var bucketUrl = new Uri($"{Endpoint}/{GatewayFixture.PrivateBucket}");
        async Task<(HttpStatusCode Status, string Code)> PostAsync(MultipartFormDataContent form)
        {
            using var response = await _gateway.Client.PostAsync(bucketUrl, form);
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, body.Length == 0 ? "" : Code(body));
        }
        MultipartFormDataContent Form(IEnumerable<KeyValuePair<string, string>> fields, byte[]? file)
        {
            var form = new MultipartFormDataContent();
            foreach (var (name, value) in fields)
            {
                form.Add(new StringContent(value), name);
            }
            if (file is not null)
            {
                form.Add(new ByteArrayContent(file), "file", "f.bin");
            }
            return form;
        }

        // Anonymous: a private bucket takes no unsigned upload.
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), await PostAsync(Form([new("key", prefix + "anonymous.txt")], "x"u8.ToArray())));
        // No file, no key, fields larger than 64 KiB before the file, encryption asked for.
        var (_, fields) = await FormAsync(prefix + "a.txt", "http://127.0.0.1:9/done");
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), await PostAsync(Form(fields, null)));
        Assert.Equal((HttpStatusCode.BadRequest, "MaxPostPreDataLengthExceeded"), await PostAsync(Form([.. fields, new("x-ignore-padding", new string('p', 70 * 1024))], "x"u8.ToArray())));
        Assert.Equal((HttpStatusCode.NotImplemented, "NotImplemented"), await PostAsync(Form(FormWith(fields, "x-amz-server-side-encryption", "AES256"), "x"u8.ToArray())));
        // A form signed by an Authorization header (valid) instead of by its fields.
        using (var headerSigned = new HttpRequestMessage(HttpMethod.Post, bucketUrl) { Content = Form(fields, "x"u8.ToArray()) }.Sign())
        {
            using var response = await _gateway.Client.SendAsync(headerSigned);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        // A multipart body that is not one.
        using (var broken = new HttpRequestMessage(HttpMethod.Post, bucketUrl) { Content = new ByteArrayContent("--b\r\nnot a part"u8.ToArray()) })
        {
            broken.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
            using var response = await _gateway.Client.SendAsync(broken);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        // A valid form whose file stops half-way (the client goes away): nothing is stored.
        using (var client = new HttpClient())
        {
            var boundary = "----og" + Guid.NewGuid().ToString("N");
            var head = new StringBuilder();
            foreach (var (name, value) in fields)
            {
                head.Append($"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
            }
            head.Append($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n");
            var content = new StreamContent(new BreaksAfterStream(Encoding.UTF8.GetBytes(head.ToString()).Concat(new byte[300]).ToArray()));
            content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
            content.Headers.ContentLength = head.Length + 900;
            await Assert.ThrowsAnyAsync<Exception>(() => client.PostAsync(bucketUrl, content));
        }
        await Task.Delay(500);
        using var head404 = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"{Endpoint}/{GatewayFixture.PrivateBucket}/{prefix}a.txt")).Sign());
        Assert.Equal(HttpStatusCode.NotFound, head404.StatusCode);
    }

    private static List<KeyValuePair<string, string>> FormWith(Dictionary<string, string> fields, string name, string value) => [.. fields, new(name, value)];

    /// <summary>A body that sends its bytes, then fails as a dropped connection does.</summary>
    private sealed class BreaksAfterStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("the client went away");
        }
    }
}
