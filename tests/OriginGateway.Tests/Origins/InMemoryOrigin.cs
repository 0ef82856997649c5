using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Egress;
using OriginGateway.Observability;
using OriginGateway.Origins;

namespace OriginGateway.Tests.Origins;

/// <summary>
/// Origins as an in-memory <see cref="HttpMessageHandler"/> (no sockets): each request is answered by
/// the test's function and recorded, so the fetcher's host order, failover, redirects and single flight
/// can be checked exactly.
/// </summary>
internal sealed class InMemoryOrigin(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    public ConcurrentQueue<Uri> Requests { get; } = new();

    public int Count(string host) => Requests.Count(u => u.Authority == host);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request.RequestUri!);
        return answer(request, cancellationToken);
    }

    public static HttpResponseMessage Body(byte[] body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new ByteArrayContent(body) { Headers = { ContentLength = body.Length } } };

    /// <summary>A fetcher over this handler, with the given options.</summary>
    public OriginFetcher Fetcher(OriginPullOptions? options = null, GatewayMetrics? metrics = null)
    {
        options ??= new OriginPullOptions();
        metrics ??= new GatewayMetrics();
        var guard = new EgressGuard(new EgressOptions(), new EgressAddressClassifier([], []), new NoResolver(), new NoListeners(), metrics, NullLogger<EgressGuard>.Instance);
        return new OriginFetcher(new OriginHttpClient(this), guard, options, new HostHealth(options, TimeProvider.System), new HostLimiter(options), metrics, NullLogger<OriginFetcher>.Instance);
    }

    /// <summary>Rule hosts are names here: nothing is resolved or dialled.</summary>
    private sealed class NoResolver : IEgressResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => throw new InvalidOperationException("no DNS in unit tests");
    }

    private sealed class NoListeners : Lifecycle.IGatewayListeners
    {
        public IEnumerable<IPEndPoint> Listeners => [];
    }
}
