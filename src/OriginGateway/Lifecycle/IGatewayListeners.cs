using System.Net;

namespace OriginGateway.Lifecycle;

/// <summary>The gateway's own listen addresses, which the egress guard always refuses.</summary>
public interface IGatewayListeners
{
    IEnumerable<IPEndPoint> Listeners { get; }
}
