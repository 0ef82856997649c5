using OriginGateway.Egress;

namespace OriginGateway.Origins;

/// <summary>
/// The one outgoing HTTP client, shared by the origin fetcher, the Proxy action's forwarder, callbacks and the S3 client:
/// every connection goes through the egress guard; no environment proxy, no cookies, no automatic
/// decompression or redirects, an explicit connect timeout, no tracing headers added.
/// </summary>
internal sealed class OriginHttpClient : IDisposable
{
    public OriginHttpClient(EgressGuard guard, OriginPullOptions options)
        : this(new SocketsHttpHandler
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
        })
    {
    }

    /// <summary>Over any handler (the unit tests' in-memory origins).</summary>
    internal OriginHttpClient(HttpMessageHandler handler)
    {
        Handler = handler;
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>The guarded handler, for clients that need an <see cref="HttpClient"/> of their own (the S3 client).</summary>
    public HttpMessageHandler Handler { get; }

    public void Dispose() => Invoker.Dispose();
}
