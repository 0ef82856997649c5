using System.Net;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Buckets;

/// <summary>Signed and presigned GETs honour the <c>response-*</c> parameters; anonymous ones may not use them.</summary>
public sealed class ResponseOverrideTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private async Task<string> PutAsync()
    {
        var key = $"ro/{Guid.NewGuid():N}/file.txt";
        var put = new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, key)) { Content = CosSigner.Bytes("hello"u8.ToArray(), "text/plain") };
        put.Headers.TryAddWithoutValidation("Cache-Control", "max-age=60");
        Assert.Equal(HttpStatusCode.OK, (await Gateway.Client.SendAsync(put.Sign())).StatusCode);
        return key;
    }

    [Fact]
    public async Task SignedGet_EveryOverrideReplacesTheStoredHeader()
    {
        var key = await PutAsync();
        var query = "response-content-type=application%2Fjson&response-content-language=fr&response-expires=Wed%2C%2021%20Oct%202026%2007%3A28%3A00%20GMT"
            + "&response-cache-control=no-store&response-content-disposition=attachment%3B%20filename%3D%22a.txt%22&response-content-encoding=identity";

        var response = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway.DataUrl, key + "?" + query)).Sign());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("fr", response.Content.Headers.ContentLanguage.Single());
        Assert.Equal("Wed, 21 Oct 2026 07:28:00 GMT", response.Content.Headers.GetValues("Expires").Single());
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        Assert.Equal("attachment; filename=\"a.txt\"", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal("identity", response.Content.Headers.ContentEncoding.Single());
    }

    [Fact]
    public async Task PresignedGet_HonoursTheOverride_AnonymousIsRefused()
    {
        var key = await PutAsync();
        var presigned = CosSigner.Presign(new Uri(Gateway.DataUrl, key), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        var response = await Gateway.Client.GetAsync(new Uri(presigned + "&response-content-disposition=attachment"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.ToString());

        var anonymous = await Gateway.Client.GetAsync(new Uri(Gateway.DataUrl, key + "?response-content-type=text%2Fhtml"));
        Assert.Equal(HttpStatusCode.BadRequest, anonymous.StatusCode);
        Assert.Contains("<Code>InvalidRequest</Code>", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var injected = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway.DataUrl, key + "?response-content-type=text%2Fplain%0D%0ASet-Cookie%3A%20a%3Db")).Sign());
        Assert.Equal(HttpStatusCode.BadRequest, injected.StatusCode);
        Assert.False(injected.Headers.Contains("Set-Cookie"));
    }
}
