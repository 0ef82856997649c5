using OriginGateway.Egress;

namespace OriginGateway.Origins;

/// <summary>
/// The one outgoing HTTP client, shared by the origin fetcher, the Proxy action's forwarder, callbacks and a sync source's S3 client:
/// every connection goes through the egress guard; no environment proxy, no cookies, no automatic
/// decompression or redirects, an explicit connect timeout, no tracing headers added.
/// </summary>
/// <remarks>
/// The Proxy action forwards through a second pool of connections with the same settings (<see cref="ForwardingInvoker"/>)
/// whose reads go on on the socket engine's event thread, where the body pump moves the origin's bytes into the client's response
/// without a hand-off to the thread pool per read (<see cref="OutgoingStream"/>).
/// </remarks>
internal sealed class OriginHttpClient : IDisposable
{
    public OriginHttpClient(EgressGuard guard, OriginPullOptions options)
        : this(CreateHandler(guard.ConnectAsync, options), CreateHandler(guard.ConnectForwardingAsync, options), options)
    {
    }

    /// <summary>Over any handler (the unit tests' in-memory origins); forwarding uses it too.</summary>
    internal OriginHttpClient(HttpMessageHandler handler)
        : this(handler, forwardingHandler: null, new OriginPullOptions())
    {
    }

    private OriginHttpClient(HttpMessageHandler handler, HttpMessageHandler? forwardingHandler, OriginPullOptions options)
    {
        DocumentHandler = new ClockedDocumentHandler(handler, options);
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        ForwardingInvoker = forwardingHandler is null ? Invoker : new HttpMessageInvoker(forwardingHandler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>The Proxy action's forwarding connections (see the remarks).</summary>
    public HttpMessageInvoker ForwardingInvoker { get; }

    /// <summary>
    /// The guarded connections under the origin clocks, for clients that need an <see cref="HttpClient"/> of their own (a
    /// sync source's S3 client; <see cref="ClockedDocumentHandler"/>).
    /// </summary>
    public HttpMessageHandler DocumentHandler { get; }

    public void Dispose()
    {
        // The document handler's inner handler is the invoker's: disposing both is harmless.
        DocumentHandler.Dispose();
        Invoker.Dispose();
        if (!ReferenceEquals(ForwardingInvoker, Invoker))
        {
            ForwardingInvoker.Dispose();
        }
    }

    private static SocketsHttpHandler CreateHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect, OriginPullOptions options) => new()
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = options.ConnectTimeout,
        ConnectCallback = connect,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        MaxResponseHeadersLength = 64,
        ActivityHeadersPropagator = null,
        EnableMultipleHttp2Connections = true,
        // Header values that are not ASCII travel as UTF-8 both ways, as the front door reads and writes them: an origin's
        // raw UTF-8 file name is stored and served byte for byte, and a client's header forwarded to an origin goes as sent.
        RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.UTF8,
        ResponseHeaderEncodingSelector = static (_, _) => System.Text.Encoding.UTF8,
    };
}
