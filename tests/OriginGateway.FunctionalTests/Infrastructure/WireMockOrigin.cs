using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A WireMock.Net server in the test process as an HTTP origin on 127.0.0.1 (a free port): stubs are
/// given with WireMock.Net's own request/response builders, and what it received is in its log.
/// </summary>
public sealed class WireMockOrigin : IAsyncDisposable
{
    private WireMockOrigin(WireMockServer server) => Server = server;

    public WireMockServer Server { get; }

    public int Port => Server.Port;

    public string Host => $"127.0.0.1:{Port}";

    public static WireMockOrigin Start() => new(WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] }));

    /// <summary>Answers GET and HEAD of <paramref name="path"/> with 200, <paramref name="body"/>, a strong ETag and any more headers.</summary>
    public void Serve(string path, byte[] body, string contentType = "application/octet-stream", params (string Name, string Value)[] headers)
    {
        var response = Response.Create().WithStatusCode(200).WithBody(body)
            .WithHeader("Content-Type", contentType).WithHeader("ETag", "\"v1-" + body.Length + "\"");
        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }
        Server.Given(Request.Create().WithPath(path).UsingMethod("GET", "HEAD")).RespondWith(response);
    }

    /// <summary>How many requests it received for <paramref name="path"/>, with or without a query, any method.</summary>
    public int Count(string path) => Server.LogEntries.Count(e => e.RequestMessage.AbsolutePath == path);

    /// <summary>How many requests it received for a method and a path with its query (as sent).</summary>
    public int Count(string method, string pathAndQuery) => Server.LogEntries.Count(e =>
        string.Equals(e.RequestMessage.Method, method, StringComparison.OrdinalIgnoreCase)
        && e.RequestMessage.AbsolutePath + (e.RequestMessage.RawQuery is { Length: > 0 } query ? "?" + query.TrimStart('?') : "") == pathAndQuery);

    public ValueTask DisposeAsync()
    {
        Server.Stop();
        Server.Dispose();
        return ValueTask.CompletedTask;
    }
}
