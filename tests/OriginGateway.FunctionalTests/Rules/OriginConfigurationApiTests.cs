using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Rules;

public sealed class OriginConfigurationApiTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Uri Url(string pathAndQuery) => new(_gateway.DataUrl, pathAndQuery);

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string query = "?origin", string? body = null, bool sign = true)
    {
        var request = new HttpRequestMessage(method, Url(query));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = new("application/xml");
        }
        return _gateway.Client.SendAsync(sign ? request.Sign() : request);
    }

    [Fact]
    public async Task Get_WithoutConfiguration_IsNoSuchOriginConfiguration()
    {
        var response = await SendAsync(HttpMethod.Get);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<Code>NoSuchOriginConfiguration</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutGetDelete_SeedExample_RoundTrips()
    {
        var put = await SendAsync(HttpMethod.Put, "?origin=", OriginSeed.Example);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var get = await SendAsync(HttpMethod.Get);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/xml", get.Content.Headers.ContentType!.MediaType);
        var returned = XDocument.Parse(await get.Content.ReadAsStringAsync()).Root!;
        Assert.Equal(OriginSeed.Canonical(OriginSeed.Example), OriginSeed.Canonical(returned));

        var delete = await SendAsync(HttpMethod.Delete);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get)).StatusCode);
    }

    [Fact]
    public async Task Put_Invalid_ListsEveryError_AndKeepsThePreviousConfiguration()
    {
        await SendAsync(HttpMethod.Put, body: OriginSeed.Example);

        var invalid = OriginSeed.Example.Replace("<OriginType>Proxy</OriginType>", "<OriginType>Cache</OriginType>", StringComparison.Ordinal)
            .Replace("examplebucket-1250000000.cos.ap-shanghai.myqcloud.com", "bad/host", StringComparison.Ordinal);
        var response = await SendAsync(HttpMethod.Put, body: invalid);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("InvalidArgument", error.Element("Code")!.Value);
        Assert.Contains("Proxy, Mirror, Redirect", error.Element("Message")!.Value, StringComparison.Ordinal);
        Assert.Contains("without a path", error.Element("Message")!.Value, StringComparison.Ordinal);
        var kept = XDocument.Parse(await (await SendAsync(HttpMethod.Get)).Content.ReadAsStringAsync()).Root!;
        Assert.Equal(OriginSeed.Canonical(OriginSeed.Example), OriginSeed.Canonical(kept));
    }

    [Fact]
    public async Task Put_BrokenXml_IsMalformedXml()
    {
        var response = await SendAsync(HttpMethod.Put, body: "<OriginConfiguration><OriginRule>");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<Code>MalformedXML</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_ExternalEntity_IsRefused()
    {
        var response = await SendAsync(HttpMethod.Put, body: """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><OriginConfiguration>&x;</OriginConfiguration>""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("root:", text, StringComparison.Ordinal);
        Assert.Contains("DTD", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_OverSixtyFourKiB_IsRefused()
    {
        var response = await SendAsync(HttpMethod.Put, body: OriginSeed.Example + new string(' ', 70_000));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("larger than 65536 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_WithContentMd5_IsVerified()
    {
        var request = new HttpRequestMessage(HttpMethod.Put, Url("?origin")) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(OriginSeed.Example)) };
        request.Content.Headers.ContentMD5 = MD5.HashData("something else"u8);

        var response = await _gateway.Client.SendAsync(request.Sign());

        Assert.Contains("<Code>BadDigest</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_IsAccessDenied_EvenOnAPublicReadBucket()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, sign: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Put, body: OriginSeed.Example, sign: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, sign: false)).StatusCode);
    }

    [Fact]
    public async Task Configuration_SurvivesARestart()
    {
        await SendAsync(HttpMethod.Put, body: OriginSeed.Example);
        await _gateway.StopAsync();

        await using var restarted = await GatewayProcess.StartAsync(dataDirectory: _gateway.DataDirectory);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(restarted.DataUrl, "?origin")).Sign();
        var response = await restarted.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OriginSeed.Canonical(OriginSeed.Example), OriginSeed.Canonical(await response.Content.ReadAsStringAsync()));
    }
}
