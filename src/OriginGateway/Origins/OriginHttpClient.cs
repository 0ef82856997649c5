using OriginGateway.Egress;

namespace OriginGateway.Origins;

/// <summary>
/// The one outgoing HTTP client, shared by the origin fetcher and the Proxy action's forwarder:
/// every connection goes through the egress guard; no environment proxy, no cookies, no automatic
/// decompression or redirects, an explicit connect timeout, no tracing headers added.
/// </summary>
internal sealed class OriginHttpClient : IDisposable
{
    public OriginHttpClient(EgressGuard guard, OriginPullOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = options.ConnectTimeout,
            ConnectCallback = guard.ConnectAsync,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxResponseHeadersLength = 64,
            ActivityHeadersPropagator = null,
            EnableMultipleHttp2Connections = true,
        };
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
