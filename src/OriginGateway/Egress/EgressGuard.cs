using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OriginGateway.Lifecycle;
using OriginGateway.Observability;

namespace OriginGateway.Egress;

/// <summary>
/// The one egress (SSRF) guard of <c>03-security.md</c> §3.2. It runs where every outgoing socket
/// is opened (<see cref="SocketsHttpHandler.ConnectCallback"/>), resolves the name itself, checks
/// every address, and dials only an address it checked — so redirects and DNS rebinding cannot
/// slip past it.
/// </summary>
internal sealed partial class EgressGuard(
    EgressOptions options,
    EgressAddressClassifier classifier,
    IEgressResolver resolver,
    IGatewayListeners listeners,
    GatewayMetrics metrics,
    ILogger<EgressGuard> logger)
{
    private static readonly string[] InternalSuffixes = [".localhost", ".local", ".internal"];
    private static readonly string[] InternalNames = ["localhost", "metadata.tencentyun.com", "metadata.google.internal"];

    /// <summary>Checks a URL's form before anything is dialled: http(s) only, no user information.</summary>
    public static string? CheckUrl(Uri url)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            return $"scheme '{(url.IsAbsoluteUri ? url.Scheme : "")}' is not allowed (http and https only)";
        }
        return url.UserInfo.Length > 0 ? "URLs with user information are not allowed" : null;
    }

    /// <summary>
    /// Checks a URL that a client handed over (fetch tasks, callbacks, and later PullUpload and
    /// sync sources): its form, and its port against <c>Egress:AllowedPorts</c>.
    /// </summary>
    public string? CheckClientUrl(Uri url)
    {
        if (CheckUrl(url) is { } refused)
        {
            return refused;
        }
        var ports = options.EffectiveAllowedPorts;
        return ports.Count == 0 || ports.Contains(url.Port) ? null : $"port {url.Port} is not in Egress:AllowedPorts";
    }

    /// <summary>For configuration checks: the reason a literal IP host is refused, or null (names are judged when dialled).</summary>
    public string? CheckLiteralHost(string host)
    {
        host = host.Trim('[', ']');
        return IPAddress.TryParse(host, out var address) && classifier.IsDenied(address)
            ? $"{address} lies in a network the egress guard denies"
            : null;
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolve, check, dial a checked address.</summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        ConnectAsync(context, leaveEventThread: true, cancellationToken);

    /// <summary>The forwarding handler's callback: checked the same way; its connections do not leave the event thread (<see cref="OutgoingStream"/>).</summary>
    public ValueTask<Stream> ConnectForwardingAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        ConnectAsync(context, leaveEventThread: false, cancellationToken);

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool leaveEventThread, CancellationToken cancellationToken)
    {
        var endPoint = context.DnsEndPoint;
        var addresses = await ResolveAllowedAsync(endPoint.Host, endPoint.Port, cancellationToken).ConfigureAwait(false);
        return await OutgoingStream.ConnectAsync(addresses, endPoint.Port, leaveEventThread, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves a host and returns its addresses when every one may be dialled; throws <see cref="EgressDeniedException"/> otherwise.</summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, int port, CancellationToken cancellationToken)
    {
        var bare = host.Trim('[', ']');
        IPAddress[] addresses;
        var isName = !IPAddress.TryParse(bare, out var literal);
        if (isName)
        {
            addresses = await resolver.ResolveAsync(bare, cancellationToken).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }
        }
        else
        {
            addresses = [literal!];
        }

        if (isName && IsInternalName(bare) && !addresses.All(classifier.IsExplicitlyAllowed))
        {
            Deny(host, port, $"the name '{bare}' is internal");
        }
        foreach (var address in addresses)
        {
            if (classifier.IsDenied(address))
            {
                Deny(host, port, $"{host} resolves to {address}, which lies in a denied network");
            }
            if (IsOwnListener(address, port))
            {
                Deny(host, port, $"{address}:{port} is one of the gateway's own listeners");
            }
        }
        return addresses;
    }

    private void Deny(string host, int port, string reason)
    {
        metrics.EgressDenied();
        LogDenied(logger, host, port, reason);
        throw new EgressDeniedException("EgressDenied: " + reason);
    }

    private static bool IsInternalName(string host)
    {
        var name = host.TrimEnd('.').ToLowerInvariant();
        return InternalNames.Contains(name) || InternalSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal));
    }

    private bool IsOwnListener(IPAddress address, int port)
    {
        address = EgressAddressClassifier.Normalize(address);
        foreach (var listener in listeners.Listeners)
        {
            if (listener.Port != port)
            {
                continue;
            }
            var listen = EgressAddressClassifier.Normalize(listener.Address);
            if (IPAddress.IsLoopback(address) || listen.Equals(address))
            {
                return true;
            }
            if ((listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any)) && IsLocalAddress(address))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsLocalAddress(IPAddress address) =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Any(u => EgressAddressClassifier.Normalize(u.Address).Equals(address));

    [LoggerMessage(EventId = LogEvents.EgressDenied, Level = LogLevel.Warning, Message = "Egress denied to {Host}:{Port}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string host, int port, string reason);
}
