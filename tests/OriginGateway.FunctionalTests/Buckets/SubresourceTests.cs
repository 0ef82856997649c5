using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using FsCheck;
using FsCheck.Fluent;
using OriginGateway.FrontDoor;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Buckets;

/// <summary>
/// Every sub-resource of the table sent, with every method, to an existing object on each store: the
/// answer is the operation's or 501 NotImplemented, and the object's bytes and metadata never change
/// (no sub-resource operation rewrites a body; ACL and tagging change only attributes).
/// </summary>
public sealed class SubresourceTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("the object that must survive every sub-resource call\n");

    /// <summary>(name, method, body?) → the status an existing object answers; everything else is 501.</summary>
    private static readonly Dictionary<(string, string, bool), int> Expected = new()
    {
        [("acl", "GET", false)] = 200,
        [("acl", "GET", true)] = 200,
        [("acl", "PUT", false)] = 200,
        [("acl", "PUT", true)] = 400,
        [("tagging", "GET", false)] = 200,
        [("tagging", "GET", true)] = 200,
        [("tagging", "PUT", false)] = 400,
        [("tagging", "PUT", true)] = 400,
        [("tagging", "DELETE", false)] = 204,
        [("uploads", "POST", false)] = 200,
        [("uploads", "POST", true)] = 200,
        [("uploadId", "GET", false)] = 404,
        [("uploadId", "GET", true)] = 404,
        [("uploadId", "PUT", false)] = 400, // a part needs its partNumber
        [("uploadId", "PUT", true)] = 400,
        [("uploadId", "POST", false)] = 404,
        [("uploadId", "POST", true)] = 404,
        [("uploadId", "DELETE", false)] = 404,
        [("partNumber", "GET", false)] = 400, // a part GET, here without a number
        [("partNumber", "HEAD", false)] = 400,
        [("attributes", "GET", false)] = 400, // GetObjectAttributes, here without x-amz-object-attributes
    };

    private static readonly (string Method, bool WithBody)[] Calls =
        [("GET", false), ("HEAD", false), ("PUT", false), ("PUT", true), ("POST", false), ("POST", true), ("DELETE", false)];

    [Theory]
    [InlineData("FileSystem")]
    [InlineData("S3")]
    public async Task EverySubresource_WithEveryMethod_OnAnExistingObject_IsAnsweredForWhatItIs_AndLeavesTheObjectWhole(string storage)
    {
        await using var s3 = storage == "S3" ? await S3Server.StartAsync("gateway") : null;
        await using var gateway = await GatewayProcess.StartAsync(S3Server.GatewaySettings(s3));
        var key = "survivor/" + Guid.NewGuid().ToString("N") + ".txt";
        var url = new Uri(gateway.DataUrl, key);
        var put = new HttpRequestMessage(HttpMethod.Put, url) { Content = CosSigner.Bytes(Body, "text/plain") };
        put.Headers.Add("x-cos-meta-color", "blue");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(put.Sign())).StatusCode);
        var before = await SnapshotAsync(gateway, url);

        var failures = new List<string>();
        foreach (var name in SubresourceTable.Names)
        {
            foreach (var (method, withBody) in Calls)
            {
                var value = name == "uploadId" ? "0123456789abcdef" : "";
                var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url + "?" + name + (value.Length > 0 ? "=" + value : "")));
                if (withBody)
                {
                    request.Content = CosSigner.Bytes(Encoding.UTF8.GetBytes("DAMAGE"), "application/octet-stream");
                }
                var response = await gateway.Client.SendAsync(request.Sign());
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                // Buckets are unversioned: a version other than "null" (here, an empty one) does not exist, whatever the method.
                var expected = name == "versionId" ? 404 : Expected.GetValueOrDefault((name, method, withBody), 501);
                if (status != expected)
                {
                    failures.Add($"{method} ?{name}{(withBody ? " with a body" : "")}: {status}, expected {expected}: {text}");
                }
                if (expected == 501 && method != "HEAD" && XDocument.Parse(text).Root!.Element("Code")!.Value != "NotImplemented")
                {
                    failures.Add($"{method} ?{name}: not a NotImplemented error document: {text}");
                }
                if (text.Contains("must survive", StringComparison.Ordinal))
                {
                    failures.Add($"{method} ?{name} answered with the object's bytes");
                }
                var after = await SnapshotAsync(gateway, url);
                if (after != before)
                {
                    failures.Add($"{method} ?{name}{(withBody ? " with a body" : "")} changed the object: {before} → {after}");
                    before = after;
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>
    /// FsCheck against a running gateway: any query built from random sub-resource names (any letter case)
    /// and random other parameters, with any method and a body, never changes the object — no implemented
    /// sub-resource operation rewrites a body, and nothing else may touch it.
    /// </summary>
    [Fact]
    public async Task Property_RandomQueries_NeverChangeTheObject()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var url = new Uri(gateway.DataUrl, "property/" + Guid.NewGuid().ToString("N") + ".bin");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, url) { Content = CosSigner.Bytes(Body, "text/plain") }.Sign())).StatusCode);
        var before = await SnapshotAsync(gateway, url);

        var names = SubresourceTable.Names.ToArray();
        var name = Gen.OneOf(
            Gen.Elements(names),
            Gen.Elements(names).Select(n => n.ToUpperInvariant()),
            Gen.Elements("x-id", "prefix", "marker", "response-content-type", "partNumber", "versionId", "uploadId", "foo", "sign"));
        var value = Gen.Elements("", "1", "0123456789abcdef", "PutObject", "%2F");
        var parameter = name.SelectMany(n => value.Select(v => v.Length == 0 ? n : n + "=" + v));
        // At least one sub-resource in every query, in any case, anywhere among the others.
        var named = Gen.Elements(names).SelectMany(n => Gen.Elements(n, n.ToUpperInvariant())).SelectMany(n => value.Select(v => v.Length == 0 ? n : n + "=" + v));
        var request = Gen.Choose(0, 3).SelectMany(count => Gen.ListOf(parameter, count))
            .SelectMany(others => named.SelectMany(first => Gen.Choose(0, others.Count).Select(at => others.Take(at).Append(first).Concat(others.Skip(at)))))
            .SelectMany(query => Gen.Elements("GET", "HEAD", "PUT", "POST", "DELETE").Select(method => (Query: string.Join('&', query), Method: method)));

        Prop.ForAll(request.ToArbitrary(), input =>
        {
            var message = new HttpRequestMessage(new HttpMethod(input.Method), new Uri(url + "?" + input.Query));
            if (input.Method is "PUT" or "POST")
            {
                message.Content = CosSigner.Bytes(Encoding.UTF8.GetBytes("DAMAGE"));
            }
            var status = (int)gateway.Client.Send(message.Sign()).StatusCode;
            var after = SnapshotAsync(gateway, url).GetAwaiter().GetResult();
            return after == before && status != 500;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    [Fact]
    public async Task ParametersThatAreNotSubresources_DoNotChangeWhatAPutOrDeleteDoes()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var key = "plain/" + Guid.NewGuid().ToString("N");
        var put = new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, key + "?x-id=PutObject&prefix=a&marker=b&response-content-type=x%2Fy")) { Content = CosSigner.Bytes(Body) };
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(put.Sign())).StatusCode);
        Assert.Equal(Body, await gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, key)));
        var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(gateway.DataUrl, key + "?x-id=DeleteObject&max-keys=1"));
        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Client.SendAsync(delete.Sign())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync(new Uri(gateway.DataUrl, key))).StatusCode);
    }

    /// <summary>Bytes (as a hash) and every header of the stored object that a sub-resource call must not change.</summary>
    private static async Task<string> SnapshotAsync(GatewayProcess gateway, Uri url)
    {
        var response = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url).Sign());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return string.Join('|',
            (int)response.StatusCode,
            Convert.ToHexStringLower(SHA256.HashData(bytes)),
            response.Headers.ETag?.Tag,
            response.Content.Headers.ContentType,
            response.Content.Headers.LastModified,
            response.Headers.TryGetValues("x-cos-meta-color", out var color) ? string.Join(',', color) : "-");
    }
}
