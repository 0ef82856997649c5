using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using OriginGateway.Origins;

namespace OriginGateway.Storage;

/// <summary>
/// The one way the gateway builds S3 clients: path-style addressing against any S3-compatible
/// endpoint, checksums only when required (plain http endpoints). Sync sources — endpoints a task
/// submitter names — connect through the egress guard (the shared guarded handler); the S3 object
/// store's endpoint is the operator's own infrastructure, configured like the database and Redis,
/// and gets a pooled handler of its own.
/// </summary>
internal sealed class S3ClientFactory(OriginHttpClient http) : IDisposable
{
    private readonly Lazy<SocketsHttpHandler> _storageHandler = new(() => new SocketsHttpHandler
    {
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = 256,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        UseCookies = false,
    });

    /// <summary>A client for a task's S3 source: every connection passes the egress guard.</summary>
    public AmazonS3Client Create(string endpoint, string region, string accessKey, string secretKey) =>
        Create(endpoint, region, accessKey, secretKey, http.Handler);

    /// <summary>A client for the S3 object store's own endpoint.</summary>
    public AmazonS3Client CreateForStorage(string endpoint, string region, string accessKey, string secretKey) =>
        Create(endpoint, region, accessKey, secretKey, _storageHandler.Value);

    public void Dispose()
    {
        if (_storageHandler.IsValueCreated)
        {
            _storageHandler.Value.Dispose();
        }
    }

    internal static AmazonS3Client Create(string endpoint, string region, string accessKey, string secretKey, HttpMessageHandler handler)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = string.IsNullOrEmpty(region) ? "us-east-1" : region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            HttpClientFactory = new SharedHandlerClientFactory(handler, secretKey),
            MaxErrorRetry = 2,
        };
        return new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config);
    }

    /// <summary>Hands the SDK clients over a shared handler (never disposed by the SDK).</summary>
    private sealed class SharedHandlerClientFactory(HttpMessageHandler handler, string secretKey) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new BucketPathHandler(handler, secretKey), disposeHandler: false);

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }

    /// <summary>
    /// Sends bucket-level requests as <c>/bucket</c> rather than the .NET SDK's <c>/bucket/</c>, signed
    /// again for that path. Both are valid path-style S3; some S3-compatible servers (s3rver among them)
    /// canonicalise the bucket path without the slash and would refuse the SDK's signature.
    /// </summary>
    internal sealed class BucketPathHandler(HttpMessageHandler inner, string secretKey) : DelegatingHandler(inner)
    {
        private const string Scheme = "AWS4-HMAC-SHA256 ";

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            var path = uri.AbsolutePath;
            // The SDK adds its Authorization without validation (it does not parse as a typed value).
            if (path.Length > 2 && path.EndsWith('/') && path.IndexOf('/', 1) == path.Length - 1
                && request.Headers.NonValidated.TryGetValues("Authorization", out var authorization)
                && authorization.ToString() is { } value && value.StartsWith(Scheme, StringComparison.Ordinal))
            {
                request.RequestUri = new Uri(uri.GetLeftPart(UriPartial.Authority) + path[..^1] + uri.Query);
                request.Headers.Remove("Authorization");
                request.Headers.TryAddWithoutValidation("Authorization", Scheme + Resign(request, value[Scheme.Length..], secretKey));
            }
            return base.SendAsync(request, cancellationToken);
        }

        /// <summary>AWS Signature Version 4 over the request as it now is, with the same credential scope and signed headers.</summary>
        internal static string Resign(HttpRequestMessage request, string parameter, string secretKey)
        {
            var fields = parameter.Split(',', StringSplitOptions.TrimEntries)
                .Select(f => f.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            var credential = fields["Credential"];
            var scope = credential[(credential.IndexOf('/', StringComparison.Ordinal) + 1)..];
            var scopeParts = scope.Split('/');
            var signedHeaders = fields["SignedHeaders"];
            var uri = request.RequestUri!;
            var canonicalHeaders = new StringBuilder();
            foreach (var name in signedHeaders.Split(';'))
            {
                var value = name == "host" ? request.Headers.Host ?? uri.Authority
                    : request.Headers.TryGetValues(name, out var values) ? string.Join(',', values)
                    : request.Content?.Headers.TryGetValues(name, out var contentValues) == true ? string.Join(',', contentValues!) : "";
                canonicalHeaders.Append(name).Append(':').Append(value.Trim()).Append('\n');
            }
            var query = uri.Query.TrimStart('?');
            var canonicalQuery = string.Join('&', (query.Length == 0 ? [] : query.Split('&'))
                .Select(p => p.Split('=', 2))
                .Select(p => (Name: Encode(Uri.UnescapeDataString(p[0])), Value: Encode(p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "")))
                .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
                .Select(p => p.Name + "=" + p.Value));
            var payloadHash = request.Headers.TryGetValues("x-amz-content-sha256", out var hash) ? hash.First() : "UNSIGNED-PAYLOAD";
            var amzDate = request.Headers.TryGetValues("x-amz-date", out var date) ? date.First() : "";
            var canonicalRequest = $"{request.Method.Method}\n{uri.AbsolutePath}\n{canonicalQuery}\n{canonicalHeaders}\n{signedHeaders}\n{payloadHash}";
            var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
            var key = Encoding.UTF8.GetBytes("AWS4" + secretKey);
            foreach (var part in scopeParts)
            {
                key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
            }
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
            return $"Credential={credential}, SignedHeaders={signedHeaders}, Signature={signature}";
        }

        private static string Encode(string value)
        {
            var builder = new StringBuilder();
            foreach (var b in Encoding.UTF8.GetBytes(value))
            {
                var c = (char)b;
                if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
                {
                    builder.Append(c);
                }
                else
                {
                    builder.Append('%').Append(Convert.ToHexString([b]));
                }
            }
            return builder.ToString();
        }
    }
}
