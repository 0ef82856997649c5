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

    /// <summary>
    /// Buckets are unversioned: an entry naming version <c>null</c> deletes the current object (and says so), one
    /// naming any other version deletes nothing — the current object is not that version — and is NoSuchVersion.
    /// </summary>
    [Fact]
    public async Task AVersionOtherThanNull_DeletesNothing_AndIsNoSuchVersion()
    {
        var prefix = $"bd/{Guid.NewGuid():N}/";
        await PutAsync(prefix + "kept");
        await PutAsync(prefix + "gone");
        var document = new XElement("Delete",
            new XElement("Object", new XElement("Key", prefix + "kept"), new XElement("VersionId", "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd")),
            new XElement("Object", new XElement("Key", prefix + "gone"), new XElement("VersionId", "null"))).ToString();

        var (status, body) = await DeleteAsync(document);

        Assert.Equal(HttpStatusCode.OK, status);
        var result = XElement.Parse(body[body.IndexOf('<', 1)..]);
        var deleted = Assert.Single(result.Elements("Deleted"));
        Assert.Equal((prefix + "gone", "null"), (deleted.Element("Key")!.Value, deleted.Element("VersionId")!.Value));
        var error = Assert.Single(result.Elements("Error"));
        Assert.Equal((prefix + "kept", "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd", "NoSuchVersion"), (error.Element("Key")!.Value, error.Element("VersionId")!.Value, error.Element("Code")!.Value));
        Assert.Equal("x", await Gateway.Client.GetStringAsync(new Uri(Gateway.DataUrl, prefix + "kept")));
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(Gateway.DataUrl, prefix + "gone")))).StatusCode);
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
