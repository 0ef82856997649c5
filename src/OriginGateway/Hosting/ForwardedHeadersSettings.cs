namespace OriginGateway.Hosting;

/// <summary>Running behind a reverse proxy (<c>ForwardedHeaders</c> section).</summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>
    /// Addresses of proxies whose <c>X-Forwarded-Proto</c>, <c>X-Forwarded-Host</c> and <c>X-Forwarded-For</c>
    /// are trusted (Protocol FOLLOW, virtual-host buckets and client addresses then use them). Empty = none:
    /// the headers are ignored.
    /// </summary>
    public List<string> KnownProxies { get; set; } = [];
}
