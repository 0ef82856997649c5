using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// A web application on its own origin uploading to and reading from the bucket from a browser, as COS's and S3's
/// browser SDKs are used: the judge is Debian's Chromium, which lets a cross-origin call through only when the
/// gateway's preflight answers allow it, and lets the page read an answer's status, body and headers (the ETag a
/// multipart upload needs, the metadata, an error's code) only when the answer carries the bucket's CORS headers.
/// The SDKs are Tencent's browser SDK (cos-js-sdk-v5, its published file) and the AWS SDK for JavaScript v3 bundled
/// for the browser (tests/node/browser-sdk-check.js).
/// </summary>
public sealed class BrowserSdkTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;
    private int _appPort;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayProcess.StartAsync();
        _appPort = FreeLoopbackPort();
        // What the COS documentation asks a bucket to allow for its browser SDK: the app's origin, the methods, any
        // request header, and the response headers the SDK reads (the ETag above all, for multipart uploads).
        var cors = $"""
            <CORSConfiguration>
              <CORSRule>
                <AllowedOrigin>http://localhost:{_appPort}</AllowedOrigin>
                <AllowedMethod>GET</AllowedMethod>
                <AllowedMethod>PUT</AllowedMethod>
                <AllowedMethod>POST</AllowedMethod>
                <AllowedMethod>DELETE</AllowedMethod>
                <AllowedMethod>HEAD</AllowedMethod>
                <AllowedHeader>*</AllowedHeader>
                <ExposeHeader>ETag</ExposeHeader>
                <ExposeHeader>Content-Length</ExposeHeader>
                <ExposeHeader>x-cos-request-id</ExposeHeader>
                <ExposeHeader>x-cos-meta-who</ExposeHeader>
                <ExposeHeader>x-amz-meta-who</ExposeHeader>
                <MaxAgeSeconds>600</MaxAgeSeconds>
              </CORSRule>
            </CORSConfiguration>
            """;
        var response = await _gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(_gateway.DataUrl, "?cors")) { Content = new StringContent(cors) }.Sign());
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs the page of <paramref name="sdk"/> served from http://localhost:<paramref name="appPort"/>; one result per call, by step.</summary>
    private async Task<Dictionary<string, JsonElement>> RunAsync(string sdk, int appPort, string prefix)
    {
        NodeScript.RequirePackage("playwright-core");
        NodeScript.RequirePackage(sdk == "s3" ? "@aws-sdk/client-s3" : "cos-js-sdk-v5");
        if (sdk == "s3")
        {
            NodeScript.RequirePackage("esbuild");
        }
        ExternalTool.Require("chromium", "chromium");
        var (exit, stdout, stderr) = await NodeScript.RunAsync("browser-sdk-check.js", sdk, _gateway.DataUrl.ToString().TrimEnd('/'), appPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket, prefix);
        Assert.True(exit == 0, stderr + stdout);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToDictionary(r => r.GetProperty("step").GetString()!);
    }

    private static void Succeeded(Dictionary<string, JsonElement> results, string step, int status)
    {
        var result = results[step];
        Assert.True(result.GetProperty("ok").GetBoolean(), $"{step}: {result}");
        Assert.Equal(status, result.GetProperty("status").GetInt32());
    }

    private static string Text(JsonElement result, string name) => result.TryGetProperty(name, out var value) ? value.GetString() ?? "" : "";

    /// <summary>The 12 MiB both pages upload in parts: byte i is (i × 31 + 7) mod 256.</summary>
    private static byte[] PatternBody()
    {
        var body = new byte[12 * 1024 * 1024];
        for (var i = 0; i < body.Length; i++)
        {
            body[i] = (byte)((i * 31) + 7);
        }
        return body;
    }

    [Theory]
    [InlineData("cos", 6)]
    [InlineData("s3", 3)]
    public async Task AnAppsOriginAllowedByTheBucketsCors_UploadsReadsListsCopiesAndDeletes_FromTheBrowser(string sdk, int parts)
    {
        var prefix = $"browser-{sdk}-{Guid.NewGuid():N}/";

        var results = await RunAsync(sdk, _appPort, prefix);

        var small = "\"" + Convert.ToHexStringLower(MD5.HashData("hello from a browser app"u8)) + "\"";
        Succeeded(results, "put", 200);
        Assert.Equal(small, Text(results["put"], "etag"));
        // The exposed headers reach the page: the ETag and the object's metadata.
        Succeeded(results, "head", 200);
        Assert.Equal(small, Text(results["head"], "etag"));
        Assert.Equal("browser", Text(results["head"], "meta"));
        Succeeded(results, "get", 200);
        Assert.Equal("hello from a browser app", Text(results["get"], "text"));
        // The multipart upload needs each part's ETag, which the page reads only because the bucket exposes it.
        Succeeded(results, "multipart", 200);
        Assert.EndsWith($"-{parts}\"", Text(results["multipart"], "etag"), StringComparison.Ordinal);
        Succeeded(results, "list", 200);
        Assert.Equal(new[] { prefix + "a.txt", prefix + "big.bin" }, results["list"].GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToArray());
        Succeeded(results, "copy", 200);
        Assert.Equal(small, Text(results["copy"], "etag"));
        // An error answer carries the CORS headers too: the page reads its status and COS / S3 code, not a network error.
        var missing = results["missing"];
        Assert.False(missing.GetProperty("ok").GetBoolean());
        Assert.Equal(404, missing.GetProperty("status").GetInt32());
        Assert.Equal("NoSuchKey", Text(missing, "code"));
        Succeeded(results, "batchDelete", 200);
        Assert.Contains(prefix + "copy.txt", results["batchDelete"].GetProperty("deleted").EnumerateArray().Select(k => k.GetString()));
        if (sdk == "cos")
        {
            Succeeded(results, "delete", 204);
        }

        // What the browser stored is what the page held, byte for byte; what it deleted is gone.
        var big = await _gateway.Client.GetByteArrayAsync(new Uri(_gateway.DataUrl, prefix + "big.bin"));
        Assert.Equal(MD5.HashData(PatternBody()), MD5.HashData(big));
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, prefix + "a.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, prefix + "copy.txt"))).StatusCode);
    }

    [Fact]
    public async Task AnAppsOriginTheBucketsCorsDoesNotAllow_IsStoppedByTheBrowserAtThePreflight_AndNothingIsStored()
    {
        var prefix = $"browser-denied-{Guid.NewGuid():N}/";
        var otherPort = FreeLoopbackPort();
        Assert.NotEqual(_appPort, otherPort);

        var results = await RunAsync("cos-put", otherPort, prefix);

        // The browser refused the call itself (status 0: the page never saw an answer), so the PUT was never sent.
        var put = results["put"];
        Assert.False(put.GetProperty("ok").GetBoolean(), put.ToString());
        Assert.Equal(0, put.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Client.GetAsync(new Uri(_gateway.DataUrl, prefix + "a.txt"))).StatusCode);
    }
}
