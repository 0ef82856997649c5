using System.Net;
using System.Net.Sockets;

namespace OriginGateway.Tests;

/// <summary>A free loopback port for a server a test starts (shared by both test projects).</summary>
public static class TestPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
