using System.Net;
using System.Xml.Linq;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A Development gateway that keeps a slow answer alive after 10 ms (<c>Limits:SlowAnswerKeepAlive</c>; 5 s by default),
/// so that every multipart completion and copy of a test class takes that path: the 200 and the XML declaration go out
/// at once, spaces follow, and the result — or an <c>Error</c> — ends the body, as S3 answers slow work.
/// </summary>
public sealed class KeptAliveGatewayFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayProcess.StartAsync(["--Limits:SlowAnswerKeepAlive=00:00:00.010"]);

    public Task DisposeAsync() => Gateway.DisposeAsync().AsTask();

    public Uri Url(string key, string query = "") => new(Gateway.DataUrl, key + query);

    /// <summary>A signed request to the gateway.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HttpContent? content = null, Action<HttpRequestMessage>? configure = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var request = new HttpRequestMessage(method, uri) { Content = content };
        configure?.Invoke(request);
        return await Gateway.Client.SendAsync(request.Sign(), completion);
    }

    /// <summary>The key's object, or null when it has none.</summary>
    public async Task<byte[]?> ObjectAsync(string key)
    {
        using var response = await SendAsync(HttpMethod.Get, Url(key));
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The code of an <c>Error</c> document, or null for any other answer.</summary>
    public static string? Code(string body) => XDocument.Parse(body).Root is { Name.LocalName: "Error" } error ? error.Element("Code")!.Value : null;
}
