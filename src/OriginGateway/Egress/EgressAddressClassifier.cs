using System.Net;
using System.Net.Sockets;

namespace OriginGateway.Egress;

/// <summary>
/// Decides whether an IP address may be dialled: the built-in deny list of §3.2 plus
/// <c>Egress:DeniedNetworks</c>, minus <c>Egress:AllowedNetworks</c>. IPv4-mapped and
/// IPv4-compatible IPv6 addresses are unwrapped and judged as IPv4.
/// </summary>
internal sealed class EgressAddressClassifier
{
    private static readonly IPNetwork[] BuiltInDenied = Parse(
    [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ]);

    private readonly IPNetwork[] _allowed;
    private readonly IPNetwork[] _denied;

    public EgressAddressClassifier(IEnumerable<string> allowedNetworks, IEnumerable<string> deniedNetworks)
    {
        _allowed = Parse(allowedNetworks);
        _denied = [.. BuiltInDenied, .. Parse(deniedNetworks)];
    }

    /// <summary>Checks a CIDR as the options validator does; null when valid.</summary>
    public static string? CheckNetwork(string cidr) => IPNetwork.TryParse(cidr.Trim(), out _) ? null : $"'{cidr}' is not a CIDR network (e.g. 127.0.0.0/8).";

    /// <summary>True when the address may not be dialled.</summary>
    public bool IsDenied(IPAddress address)
    {
        address = Normalize(address);
        foreach (var network in _allowed)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return false;
            }
        }
        foreach (var network in _denied)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when the address lies inside <c>Egress:AllowedNetworks</c>.</summary>
    public bool IsExplicitlyAllowed(IPAddress address)
    {
        address = Normalize(address);
        return _allowed.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address));
    }

    /// <summary>IPv4-mapped (<c>::ffff:a.b.c.d</c>) and IPv4-compatible (<c>::a.b.c.d</c>) addresses become IPv4.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        // ::/96 (IPv4-compatible), except :: and ::1 themselves, which are judged as IPv6.
        if (bytes[..12].IndexOfAnyExcept((byte)0) < 0 && (bytes[12] | bytes[13]) != 0)
        {
            return new IPAddress(bytes[12..]);
        }
        return address;
    }

    private static IPNetwork[] Parse(IEnumerable<string> networks) => networks
        .Where(n => !string.IsNullOrWhiteSpace(n))
        .Select(n => IPNetwork.Parse(n.Trim()))
        .ToArray();
}
