using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Buckets;

/// <summary><c>POST /?delete</c>: Delete Multiple Objects, verbose and quiet.</summary>
public sealed class BatchDeleteTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private async Task PutAsync(string key) =>
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, key)) { Content = new StringContent("x") }.Sign())).StatusCode);

    private async Task<(HttpStatusCode Status, string Body)> DeleteAsync(string xml, bool sign = true, bool md5 = true)
    {
        var body = Encoding.UTF8.GetBytes(xml);
        var content = new ByteArrayContent(body);
        if (md5)
        {
            content.Headers.ContentMD5 = MD5.HashData(body);
        }
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Gateway.DataUrl, "?delete")) { Content = content };
        var response = await Gateway.Client.SendAsync(sign ? request.Sign() : request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Document(bool quiet, params string[] keys) =>
        new XElement("Delete", new XElement("Quiet", quiet ? "true" : "false"), keys.Select(k => new XElement("Object", new XElement("Key", k)))).ToString();

    [Fact]
    public async Task Verbose_DeletesEveryKey_ReportsEach_AndErrorsForBadKeys()
    {
        var prefix = $"bd/{Guid.NewGuid():N}/";
        string[] keys = [prefix + "a", prefix + "b c", prefix + "é/d"];
        foreach (var key in keys)
        {
            await PutAsync(key);
        }
        var tooLong = new string('k', 851);

        var (status, body) = await DeleteAsync(Document(false, [.. keys, prefix + "missing", tooLong]));

        Assert.Equal(HttpStatusCode.OK, status);
        var result = XElement.Parse(body[body.IndexOf('<', 1)..]);
        Assert.Equal([.. keys, prefix + "missing"], result.Elements("Deleted").Select(d => d.Element("Key")!.Value));
        var error = Assert.Single(result.Elements("Error"));
        Assert.Equal("KeyTooLong", error.Element("Code")!.Value);
        foreach (var key in keys)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(Gateway.DataUrl, key)))).StatusCode);
        }
    }

    [Fact]
    public async Task Quiet_ReportsOnlyErrors()
    {
        var key = $"bd/{Guid.NewGuid():N}/q";
        await PutAsync(key);

        var (status, body) = await DeleteAsync(Document(true, key));

        Assert.Equal(HttpStatusCode.OK, status);
        var result = XElement.Parse(body[body.IndexOf('<', 1)..]);
        Assert.Empty(result.Elements());
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(Gateway.DataUrl, key)))).StatusCode);
    }

    [Fact]
    public async Task BadRequests_AreRefused_AndNothingIsDeleted()
    {
        var key = $"bd/{Guid.NewGuid():N}/keep";
        await PutAsync(key);

        Assert.Equal(HttpStatusCode.Forbidden, (await DeleteAsync(Document(false, key), sign: false)).Status);
        Assert.Contains("<Code>MalformedXML</Code>", (await DeleteAsync("not xml")).Body, StringComparison.Ordinal);
        Assert.Contains("<Code>MalformedXML</Code>", (await DeleteAsync("<Delete></Delete>")).Body, StringComparison.Ordinal);
        Assert.Contains("<Code>MalformedXML</Code>", (await DeleteAsync(Document(false, Enumerable.Range(0, 1001).Select(i => $"k{i}").ToArray()))).Body, StringComparison.Ordinal);
        Assert.Contains("<Code>MalformedXML</Code>", (await DeleteAsync($"<!DOCTYPE d [<!ENTITY e \"{key}\">]><Delete><Object><Key>&e;</Key></Object></Delete>")).Body, StringComparison.Ordinal);

        var body = Encoding.UTF8.GetBytes(Document(false, key));
        var wrongMd5 = new ByteArrayContent(body);
        wrongMd5.Headers.ContentMD5 = MD5.HashData("other"u8);
        var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(Gateway.DataUrl, "?delete")) { Content = wrongMd5 }.Sign());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<Code>BadDigest</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(Gateway.DataUrl, key)))).StatusCode);
    }
}
