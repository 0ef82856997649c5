using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OriginGateway.Lifecycle;

/// <summary>
/// Binds the data and control listeners and tells, per request, which one a connection came in
/// on (by local port; a port of 0 is read back from the listener once it is bound). An <c>https</c>
/// endpoint serves TLS with the certificate of <c>Kestrel:Certificates:Default</c>.
/// </summary>
internal sealed class EndpointBinding(EndpointsOptions endpoints, X509Certificate2? certificate = null) : IGatewayListeners
{
    private ListenOptions? _data;
    private ListenOptions? _control;
    private int _dataPort = -1;

    public void Configure(KestrelServerOptions kestrel)
    {
        _data = Listen(kestrel, new Uri(endpoints.Data), certificate);
        _control = Listen(kestrel, new Uri(endpoints.Control), certificate);
    }

    /// <summary>The data endpoint's port once bound.</summary>
    public int DataPort => _dataPort >= 0 ? _dataPort : (_dataPort = BoundPort(_data, endpoints.Data));

    public int ControlPort => BoundPort(_control, endpoints.Control);

    public string DataUrl => $"{new Uri(endpoints.Data).Scheme}://{new Uri(endpoints.Data).Host}:{DataPort}";

    public string ControlUrl => $"{new Uri(endpoints.Control).Scheme}://{new Uri(endpoints.Control).Host}:{ControlPort}";

    public bool IsData(HttpContext context) => context.Connection.LocalPort == DataPort;

    /// <summary>The bound listen addresses (both endpoints), which outgoing connections may never reach.</summary>
    public IEnumerable<IPEndPoint> Listeners
    {
        get
        {
            foreach (var (options, url) in new[] { (_data, endpoints.Data), (_control, endpoints.Control) })
            {
                var port = BoundPort(options, url);
                if (options?.IPEndPoint is { } bound)
                {
                    yield return new IPEndPoint(bound.Address, port);
                }
                else
                {
                    yield return new IPEndPoint(IPAddress.Loopback, port);
                    yield return new IPEndPoint(IPAddress.IPv6Loopback, port);
                }
            }
        }
    }

    private static ListenOptions Listen(KestrelServerOptions kestrel, Uri uri, X509Certificate2? certificate)
    {
        ListenOptions? captured = null;
        Action<ListenOptions> capture = o =>
        {
            captured = o;
            if (uri.Scheme == "https")
            {
                o.UseHttps(certificate ?? throw new InvalidOperationException("an https endpoint needs Kestrel:Certificates:Default:Path"));
            }
        };
        if (uri.Host is "localhost")
        {
            kestrel.ListenLocalhost(uri.Port, capture);
        }
        else if (uri.Host is "*" or "+" or "0.0.0.0")
        {
            kestrel.ListenAnyIP(uri.Port, capture);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port, capture);
        }
        return captured!;
    }

    private static int BoundPort(ListenOptions? options, string url) =>
        options?.IPEndPoint?.Port is { } port and > 0 ? port : new Uri(url).Port;
}
