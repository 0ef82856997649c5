using Amazon.Runtime;
using System.Net;
using Amazon.S3;
using OriginGateway.Egress;

namespace OriginGateway.Storage;

/// <summary>
/// The one way the gateway builds S3 clients: path-style addressing against any S3-compatible
/// endpoint, checksums only when required (plain http endpoints). Sync sources — endpoints a task
/// submitter names — connect through the egress guard (the shared guarded handler); the S3 object
/// store's endpoint is the operator's own infrastructure, configured like the database and Redis,
/// and gets a pooled handler of its own.
/// </summary>
internal sealed class S3ClientFactory : IDisposable
{
    private readonly Lazy<SocketsHttpHandler> _storageHandler = new(() => new SocketsHttpHandler
    {
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = 256,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        UseCookies = false,
        // Its connections' reads go on on the thread pool, as every outgoing connection's (OutgoingStream).
        ConnectCallback = async (context, cancellationToken) => await OutgoingStream.ConnectAsync(
            await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false), context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false),
    });

    /// <summary>A client of the S3 service that stores a bucket's objects, on the storage connection pool.</summary>
    public AmazonS3Client CreateForStorage(string endpoint, string region, string accessKey, string secretKey) =>
        Create(endpoint, region, accessKey, secretKey, _storageHandler.Value);

    public void Dispose()
    {
        if (_storageHandler.IsValueCreated)
        {
            _storageHandler.Value.Dispose();
        }
    }

    /// <summary>
    /// An S3 client, path-style, that sends through <paramref name="handler"/> (e.g. the egress-guarded
    /// origin handler for a source bucket). The SDK signs every request itself (SigV4); the gateway never re-signs.
    /// </summary>
    internal static AmazonS3Client Create(string endpoint, string region, string accessKey, string secretKey, HttpMessageHandler handler)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = string.IsNullOrEmpty(region) ? "us-east-1" : region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            HttpClientFactory = new SharedHandlerClientFactory(handler),
            MaxErrorRetry = 2,
        };
        return new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config);
    }

    /// <summary>Every client sends through one shared handler (its connection pool), never one of its own.</summary>
    private sealed class SharedHandlerClientFactory(HttpMessageHandler handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }
}
