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
