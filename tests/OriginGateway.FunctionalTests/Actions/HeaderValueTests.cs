using System.Net;
using System.Net.Sockets;
using System.Text;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>
/// Header values that are not ASCII — a Chinese file name in <c>Content-Disposition</c>, an accented metadata value, an
/// origin's own header — are kept and served as the UTF-8 bytes they arrived as, by the object API and by every
/// origin-pull action; an origin's header no client can be sent (a control character) is dropped, not the response.
/// (They used to be taken and stored, and then every read of the object failed with 500.)
/// </summary>
public sealed class HeaderValueTests(OriginPullFixture fixture) : IClassFixture<OriginPullFixture>
{
    private const string FileName = "attachment; filename=\"报告 2026.pdf\"";
    private const string Note = "café — 中文";

    private GatewayProcess Gateway => fixture.Gateway;

    private static string Unique(string prefix, string name = "obj.bin") => $"{prefix}{Guid.NewGuid():N}/{name}";

    /// <summary>A client that sends and reads header values as UTF-8 bytes, as curl, Go and browsers' downloads do.</summary>
    private static HttpClient Utf8Client() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
        ResponseHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
    });

    /// <summary>Two new keys, one under the Mirror rule and one under the Proxy rule of the raw origin, each answered with these bytes.</summary>
    private (string Mirrored, string Proxied) ServeRaw(byte[] head, byte[] body)
    {
        async Task Answer(NetworkStream stream)
        {
            await stream.WriteAsync(head);
            await stream.WriteAsync(body);
        }
        var mirrored = Unique("raw/", "m.pdf");
        var proxied = Unique("rawp/", "p.pdf");
        fixture.Raw.On("/" + mirrored, Answer);
        fixture.Raw.On("/" + proxied, Answer);
        return (mirrored, proxied);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : "";

    [Fact]
    public async Task ClientHeaders_ThatAreNotAscii_AreStoredAndServedAsSent_ByReadsHeadsCopiesAndOverrides()
    {
        using var client = Utf8Client();
        var key = Unique("utf8/", "report.pdf");
        var put = new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, key)) { Content = new ByteArrayContent("pdf"u8.ToArray()) };
        put.Content.Headers.TryAddWithoutValidation("Content-Disposition", FileName);
        put.Headers.TryAddWithoutValidation("x-cos-meta-note", Note);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(put.Sign())).StatusCode);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            var read = await client.SendAsync(new HttpRequestMessage(method, new Uri(Gateway.DataUrl, key)).Sign());
            Assert.True(read.StatusCode == HttpStatusCode.OK, $"{method}: {(int)read.StatusCode} {await read.Content.ReadAsStringAsync()}");
            Assert.Equal(FileName, Header(read, "Content-Disposition"));
            Assert.Equal(Note, Header(read, "x-cos-meta-note"));
        }

        // A copy keeps them; a signed read's response-content-disposition sets one that is not ASCII either.
        var copyKey = Unique("utf8/", "copy.pdf");
        var copy = new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, copyKey));
        copy.Headers.TryAddWithoutValidation("x-cos-copy-source", $"{Gateway.DataUrl.Authority}/{key}");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(copy.Sign())).StatusCode);
        var copied = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway.DataUrl, copyKey)).Sign());
        Assert.Equal(HttpStatusCode.OK, copied.StatusCode);
        Assert.Equal(FileName, Header(copied, "Content-Disposition"));
        Assert.Equal(Note, Header(copied, "x-cos-meta-note"));
        const string Override = "attachment; filename=\"数据.csv\"";
        var overridden = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get,
            new Uri(Gateway.DataUrl, key + "?response-content-disposition=" + Uri.EscapeDataString(Override))).Sign());
        Assert.Equal(HttpStatusCode.OK, overridden.StatusCode);
        Assert.Equal(Override, Header(overridden, "Content-Disposition"));
    }

    [Fact]
    public async Task AwsCli_UploadWithAChineseContentDisposition_ThenHeadObjectAndDownload_Succeed()
    {
        var aws = ExternalTool.RequireAt("/usr/bin/aws", "awscli");
        var work = TestPaths.NewTempDirectory("og-utf8-cli");
        var local = Path.Combine(work, "report.pdf");
        await File.WriteAllTextAsync(local, "pdf bytes");
        var key = Unique("utf8cli/", "report.pdf");
        async Task<string> Aws(params string[] arguments)
        {
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(aws, ["--endpoint-url", Gateway.DataUrl.ToString().TrimEnd('/'), .. arguments], environment: GatewayProcess.AwsEnvironment());
            Assert.True(exit == 0, $"aws {string.Join(' ', arguments)} ({exit}):\n{stdout}\n{stderr}");
            return stdout;
        }

        await Aws("s3", "cp", local, $"s3://{GatewayProcess.DefaultBucket}/{key}", "--content-disposition", FileName);
        // botocore reads header bytes as Latin-1 (Python's http.client): the text it prints is those bytes, which are the
        // UTF-8 the CLI sent.
        var shown = (await Aws("s3api", "head-object", "--bucket", GatewayProcess.DefaultBucket, "--key", key, "--query", "ContentDisposition", "--output", "text")).TrimEnd('\n');
        Assert.Equal(FileName, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(shown)));
        await Aws("s3", "cp", $"s3://{GatewayProcess.DefaultBucket}/{key}", Path.Combine(work, "back.pdf"));
        Assert.Equal("pdf bytes", await File.ReadAllTextAsync(Path.Combine(work, "back.pdf")));
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task OriginHeaders_ThatAreNotAscii_PassThroughMirrorAndProxy_AndTheStoredObjectIsServedWithThem()
    {
        using var client = Utf8Client();
        var body = "0123456789"u8.ToArray();
        var (mirrored, proxied) = ServeRaw(Encoding.UTF8.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Disposition: {FileName}\r\nX-Note: {Note}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), body);

        foreach (var (key, action) in new[] { (mirrored, "mirror"), (proxied, "proxy") })
        {
            var first = await client.GetAsync(new Uri(Gateway.DataUrl, key));
            Assert.True(first.StatusCode == HttpStatusCode.OK, $"{action}: {(int)first.StatusCode} {await first.Content.ReadAsStringAsync()}");
            Assert.Equal(action, Header(first, "x-origin-action"));
            Assert.Equal(FileName, Header(first, "Content-Disposition"));
            Assert.Equal(body, await first.Content.ReadAsByteArrayAsync());
            if (action == "proxy")
            {
                // The Proxy passes the origin's own headers on.
                Assert.Equal(Note, Header(first, "X-Note"));
            }
            await fixture.WaitForHitAsync(key);
            var hit = await client.GetAsync(new Uri(Gateway.DataUrl, key));
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            Assert.Equal("hit", Header(hit, "x-origin-action"));
            Assert.Equal(FileName, Header(hit, "Content-Disposition"));
            Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        }

        // A header the rule forwards (Referer here) goes to the origin as the client sent it.
        var followed = Unique("hdr/");
        fixture.A.Serve("/" + followed, "h"u8.ToArray());
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway.DataUrl, followed));
        request.Headers.TryAddWithoutValidation("Referer", "https://例子.example/页面");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
        Assert.Equal("https://例子.example/页面", fixture.A.Hits("/" + followed).Single().Headers["Referer"]);
    }

    [Fact]
    public async Task OriginHeaders_WithAControlCharacter_AreDropped_AndTheAnswerIsServedAndStored()
    {
        var body = "0123456789"u8.ToArray();
        var (mirrored, proxied) = ServeRaw(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/pl\u0001ain\r\nContent-Disposition: attachment; filename=\"a\u0001b.pdf\"\r\nX-Note: fine\r\nx-amz-meta-bad: x\u001by\r\nx-amz-meta-good: kept\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), body);

        foreach (var (key, action) in new[] { (mirrored, "mirror"), (proxied, "proxy") })
        {
            foreach (var expected in new[] { action, "hit" })
            {
                if (expected == "hit")
                {
                    await fixture.WaitForHitAsync(key);
                }
                var answer = await Gateway.Client.GetAsync(new Uri(Gateway.DataUrl, key));
                Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{action} ({expected}): {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
                Assert.Equal(expected, Header(answer, "x-origin-action"));
                Assert.Equal(body, await answer.Content.ReadAsByteArrayAsync());
                Assert.Equal("", Header(answer, "Content-Disposition"));
                Assert.Equal("", Header(answer, "x-cos-meta-bad") + Header(answer, "x-amz-meta-bad"));
                Assert.Equal("kept", expected == "proxy" ? Header(answer, "x-amz-meta-good") : Header(answer, "x-cos-meta-good"));
                Assert.DoesNotContain("\u0001", answer.Content.Headers.ContentType?.ToString() ?? "", StringComparison.Ordinal);
                if (expected == "proxy")
                {
                    Assert.Equal("fine", Header(answer, "X-Note"));
                }
            }
        }
    }
}
