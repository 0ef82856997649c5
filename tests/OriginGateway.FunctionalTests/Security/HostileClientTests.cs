using System.Net;
using System.Net.Sockets;
using System.Text;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Security;

namespace OriginGateway.FunctionalTests.Security;

/// <summary>A private-bucket gateway (the default bucket, not public here) with a 2 s request-headers timeout.</summary>
public sealed class HostileGateway : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayProcess.StartAsync(
        ["--Buckets:0:PublicRead=false", "--Kestrel:Limits:RequestHeadersTimeout=00:00:02"]);

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// Hostile clients (<c>03-security.md</c>): each attempt gets the spec's answer — in the API's format
/// where the gateway answers — and leaves nothing stored.
/// </summary>
public sealed class HostileClientTests(HostileGateway fixture) : IClassFixture<HostileGateway>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private int Port => Gateway.DataPort;

    private string Host => $"127.0.0.1:{Port}";

    private static string Unique(string name) => $"hostile/{Guid.NewGuid():N}/{name}";

    /// <summary>Signed as the development credential: an Authorization value for a request to <paramref name="decodedPath"/>.</summary>
    private string Authorization(string method, string decodedPath, DateTimeOffset? start = null, TimeSpan? validFor = null, params KeyValuePair<string, string>[] headers)
    {
        var from = start ?? DateTimeOffset.UtcNow;
        return CosSignature.Authorization(GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, from, from + (validFor ?? TimeSpan.FromMinutes(5)), method, decodedPath, [],
            [new("host", Host), .. headers]);
    }

    /// <summary>Nothing under the key: a signed HEAD says 404.</summary>
    private async Task AssertNotStoredAsync(string key)
    {
        var head = await RawHttp.SendSignedAsync(Port, "HEAD", "/" + key, "/" + key);
        Assert.Equal(404, head.Status);
    }

    private static string Code(RawResponse response) =>
        System.Text.RegularExpressions.Regex.Match(response.Text, "<Code>([^<]*)</Code>").Groups[1].Value;

    /// <summary>Writes raw bytes on one connection and reads everything the server sends until it closes.</summary>
    private async Task<string> ExchangeAsync(byte[] request, TimeSpan? within = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(15));
        using var all = new MemoryStream();
        try
        {
            await stream.CopyToAsync(all, timeout.Token);
        }
        catch (IOException)
        {
            // Reset by the server after its answer.
        }
        return Encoding.ASCII.GetString(all.ToArray());
    }

    private static int Responses(string exchange) => System.Text.RegularExpressions.Regex.Count(exchange, @"(?m)^HTTP/1\.1 \d{3} ");

    [Fact]
    public async Task Smuggling_ContentLengthWithTransferEncoding_TheHiddenRequestNeverRuns()
    {
        // RFC 9112 §6.1: Transfer-Encoding wins over Content-Length and the connection is closed after the
        // answer. Kestrel does exactly that (the gateway never sees the Content-Length): the body is the
        // chunked one (empty here), and the request hidden behind it in the length-framed view never runs.
        var key = Unique("smuggle.bin");
        var hidden = $"DELETE /{key} HTTP/1.1\r\nHost: {Host}\r\nAuthorization: {Authorization("DELETE", "/" + key)}\r\n\r\n";
        var body = "0\r\n\r\n" + hidden;
        var request = $"PUT /{key} HTTP/1.1\r\nHost: {Host}\r\nAuthorization: {Authorization("PUT", "/" + key)}\r\nContent-Length: {body.Length}\r\nTransfer-Encoding: chunked\r\n\r\n{body}";

        var exchange = await ExchangeAsync(Encoding.ASCII.GetBytes(request));

        Assert.Equal(1, Responses(exchange));
        Assert.Contains("Connection: close", exchange, StringComparison.OrdinalIgnoreCase);
        var head = await RawHttp.SendSignedAsync(Port, "HEAD", "/" + key, "/" + key);
        Assert.Equal(200, head.Status);
        Assert.Equal("0", head.Headers["Content-Length"]);
    }

    [Fact]
    public async Task Smuggling_TwoContentLengths_IsRefused()
    {
        var key = Unique("two-lengths.bin");
        var request = $"PUT /{key} HTTP/1.1\r\nHost: {Host}\r\nAuthorization: {Authorization("PUT", "/" + key)}\r\nContent-Length: 5\r\nContent-Length: 45\r\n\r\nhelloGET / HTTP/1.1\r\nHost: {Host}\r\n\r\n";

        var exchange = await ExchangeAsync(Encoding.ASCII.GetBytes(request));

        Assert.StartsWith("HTTP/1.1 400 ", exchange, StringComparison.Ordinal);
        Assert.Equal(1, Responses(exchange));
        await AssertNotStoredAsync(key);
    }

    [Theory]
    [InlineData("/?origin")]
    [InlineData("/?cors")]
    [InlineData("/{key}?tagging")]
    public async Task MalformedChunkedBody_OnASubresource_IsACosError_WithRequestId_AndChangesNothing(string target)
    {
        // Kestrel finds the broken chunk while the handler reads the body: the gateway still answers, in COS XML.
        var key = Unique("tagged.bin");
        var path = target.Replace("{key}", key, StringComparison.Ordinal);
        var decodedPath = path[..path.IndexOf('?', StringComparison.Ordinal)];
        var put = await RawHttp.SendSignedAsync(Port, "PUT", "/" + key, "/" + key, "kept"u8.ToArray());
        Assert.Equal(200, put.Status);
        var before = await RawHttp.SendSignedAsync(Port, "GET", path, decodedPath);
        var request = $"PUT {path} HTTP/1.1\r\nHost: {Host}\r\nAuthorization: {Authorization("PUT", decodedPath)}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<Tagg\r\nzz\r\nnot a chunk\r\n";

        var exchange = await ExchangeAsync(Encoding.ASCII.GetBytes(request));

        Assert.StartsWith("HTTP/1.1 400 ", exchange, StringComparison.Ordinal);
        Assert.Contains("<Code>IncompleteBody</Code>", exchange, StringComparison.Ordinal);
        Assert.Matches("(?im)^x-cos-request-id: \\S+", exchange);
        var after = await RawHttp.SendSignedAsync(Port, "GET", path, decodedPath);
        Assert.Equal(before.Status, after.Status);
        static string WithoutRequestId(string text) => System.Text.RegularExpressions.Regex.Replace(text, "<RequestId>[^<]*</RequestId>", "");
        Assert.Equal(WithoutRequestId(before.Text), WithoutRequestId(after.Text));
    }

    [Fact]
    public async Task OversizedHeaders_Are431()
    {
        var key = Unique("big-headers.bin");
        var request = $"PUT /{key} HTTP/1.1\r\nHost: {Host}\r\nX-Padding: {new string('p', 40 * 1024)}\r\nContent-Length: 1\r\n\r\nx";

        var exchange = await ExchangeAsync(Encoding.ASCII.GetBytes(request));

        Assert.StartsWith("HTTP/1.1 431 ", exchange, StringComparison.Ordinal);
        await AssertNotStoredAsync(key);
    }

    [Fact]
    public async Task Slowloris_HeadersThatNeverEnd_AreCutOffByTheHeadersTimeout()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /{Unique("slow.txt")} HTTP/1.1\r\nHost: {Host}\r\n"));
        var closed = false;
        // One header byte every 300 ms, never the blank line: the server must close within its 2 s timeout
        // (408 or a plain close); this loop gives it up to 20 s before the test fails.
        for (var i = 0; i < 66 && !closed; i++)
        {
            try
            {
                await stream.WriteAsync("X"u8.ToArray());
                await Task.Delay(300);
                if (client.Client.Poll(0, SelectMode.SelectRead))
                {
                    var buffer = new byte[4096];
                    var read = client.Client.Receive(buffer);
                    closed = read == 0 || Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 408", StringComparison.Ordinal);
                }
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                closed = true;
            }
        }
        Assert.True(closed, "the server kept a never-ending header section open");
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.GetAsync(new Uri(Gateway.ControlUrl, "healthz"))).StatusCode);
    }

    [Fact]
    public async Task TraversalKeys_StayInsideTheBucket_AndRoundTripAsKeys()
    {
        var id = Guid.NewGuid().ToString("N");
        var target = $"/hostile/{id}/../../../../etc/og-{id}";
        var response = await RawHttp.SendAsync(Port, "PUT", target, [new("Authorization", Authorization("PUT", target))], "inside"u8.ToArray());

        Assert.Equal(200, response.Status);
        Assert.Empty(Directory.EnumerateFiles("/etc", $"og-{id}*"));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(Gateway.DataDirectory)!, $"og-{id}*", SearchOption.TopDirectoryOnly));
        var get = await RawHttp.SendAsync(Port, "GET", target, [new("Authorization", Authorization("GET", target))]);
        Assert.Equal("inside", get.Text);
    }

    [Theory]
    [InlineData("billion laughs", """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>&lol4;</Prefix></OriginCondition><OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>""", 400, "InvalidArgument")]
    [InlineData("external entity", """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>&xxe;</Prefix></OriginCondition><OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>""", 400, "InvalidArgument")]
    [InlineData("oversized", "", 400, "InvalidArgument")]
    public async Task HostileOriginDocuments_AreRefused_AndTheConfigurationIsUnchanged(string kind, string document, int status, string code)
    {
        if (kind == "oversized")
        {
            document = "<OriginConfiguration>" + new string(' ', 70 * 1024) + "</OriginConfiguration>";
        }
        var before = await RawHttp.SendSignedAsync(Port, "GET", "/?origin", "/");

        var response = await RawHttp.SendAsync(Port, "PUT", "/?origin", [new("Authorization", Authorization("PUT", "/"))], Encoding.UTF8.GetBytes(document));

        Assert.Equal(status, response.Status);
        Assert.Equal(code, Code(response));
        Assert.DoesNotContain("root:", response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("lollollol", response.Text, StringComparison.Ordinal);
        var after = await RawHttp.SendSignedAsync(Port, "GET", "/?origin", "/");
        Assert.Equal((before.Status, Code(before)), (after.Status, Code(after)));
    }

    [Fact]
    public async Task OversizedJson_ToTheFetchTaskApi_IsRefusedInItsFormat()
    {
        var tasks = new FetchTaskClient(Gateway);
        var json = "{\"Url\":\"http://origin.example.com/a\",\"Key\":\"hostile/json.bin\",\"Padding\":\"" + new string('j', 1100 * 1024) + "\"}";

        var answer = await tasks.SubmitRawAsync(json);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("InvalidArgument", answer.Code);
    }

    [Fact]
    public async Task ASignatureReplayedAfterItsWindow_IsExpired_AndOneForAnotherPath_DoesNotMatch()
    {
        var key = Unique("replay.bin");
        var expired = Authorization("PUT", "/" + key, DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.FromMinutes(10));
        var otherPath = Authorization("PUT", "/" + key + ".other");

        var late = await RawHttp.SendAsync(Port, "PUT", "/" + key, [new("Authorization", expired)], "x"u8.ToArray());
        var moved = await RawHttp.SendAsync(Port, "PUT", "/" + key, [new("Authorization", otherPath)], "x"u8.ToArray());

        Assert.Equal((403, "AccessDenied"), (late.Status, Code(late)));
        Assert.Contains("expired", late.Text, StringComparison.Ordinal);
        Assert.Equal((403, "SignatureDoesNotMatch"), (moved.Status, Code(moved)));
        await AssertNotStoredAsync(key);
    }

    [Fact]
    public async Task ATamperedSignedHeader_DoesNotMatch_AndNothingIsStored()
    {
        var key = Unique("tampered.txt");
        var signed = Authorization("PUT", "/" + key, headers: new KeyValuePair<string, string>("content-type", "text/plain"));

        var response = await RawHttp.SendAsync(Port, "PUT", "/" + key, [new("Authorization", signed), new("Content-Type", "text/html")], "<script>"u8.ToArray());

        Assert.Equal((403, "SignatureDoesNotMatch"), (response.Status, Code(response)));
        await AssertNotStoredAsync(key);
    }

    [Fact]
    public async Task AuthorizationAndPresignedQueryTogether_AreInvalidArgument()
    {
        var key = Unique("both.txt");
        var presigned = CosSignature.Presign(new Uri($"http://{Host}/{key}"), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        var response = await RawHttp.SendAsync(Port, "PUT", presigned.PathAndQuery, [new("Authorization", Authorization("PUT", "/" + key))], "x"u8.ToArray());

        Assert.Equal((400, "InvalidArgument"), (response.Status, Code(response)));
        await AssertNotStoredAsync(key);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("POST")]
    public async Task UnsignedWrites_AreAccessDenied(string method)
    {
        var key = Unique("unsigned.txt");
        var target = method == "POST" ? "/" + key + "?uploads" : "/" + key;

        var response = await RawHttp.SendAsync(Port, method, target, body: method == "PUT" ? "x"u8.ToArray() : null);

        Assert.Equal((403, "AccessDenied"), (response.Status, Code(response)));
        await AssertNotStoredAsync(key);
    }
}
