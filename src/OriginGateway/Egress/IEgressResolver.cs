using System.Net;

namespace OriginGateway.Egress;

/// <summary>Name resolution for outgoing connections; injectable so tests can script DNS answers.</summary>
public interface IEgressResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>
/// The system resolver. A lookup the system cannot cancel once it is under way (glibc's resolver, asking a DNS server that
/// does not answer, keeps at it for its own timeout × attempts — 10 s and more) is given up at the caller's deadline, the
/// connect timeout: the wait ends then, the lookup finishes on its own in the background.
/// </summary>
internal sealed class DnsEgressResolver : IEgressResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken).WaitAsync(cancellationToken);
}
