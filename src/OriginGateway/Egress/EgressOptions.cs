namespace OriginGateway.Egress;

/// <summary>Where outgoing connections may go (<c>Egress</c> section, <c>03-security.md</c> §3.2).</summary>
public sealed class EgressOptions
{
    /// <summary>CIDRs let through despite the deny list (Development: <c>127.0.0.0/8</c>). Default none.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Extra CIDRs to refuse. Default none.</summary>
    public List<string> DeniedNetworks { get; set; } = [];
}
