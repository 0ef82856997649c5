using OriginGateway.Configuration;

namespace OriginGateway.Egress;

/// <summary>Where outgoing connections may go (<c>Egress</c> section, <c>03-security.md</c> §3.2).</summary>
public sealed class EgressOptions : ISettingsSection<EgressOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, EgressOptions target) => section.Bind(target);

    /// <summary>CIDRs let through despite the deny list (Development: <c>127.0.0.0/8</c>). Default none.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Extra CIDRs to refuse. Default none.</summary>
    public List<string> DeniedNetworks { get; set; } = [];

    /// <summary>
    /// Ports that task, PullUpload, sync and callback URLs may use (every redirect hop included);
    /// origin rules may always use any port. Not set: 80 and 443. <c>["*"]</c> means any port
    /// (Development) — .NET configuration cannot tell an empty list from no setting, so the spec's
    /// "empty list" is spelled <c>*</c>. Null by default so that a configured list replaces the
    /// default instead of being appended to it.
    /// </summary>
    public List<string>? AllowedPorts { get; set; }

    /// <summary>The ports in force; empty means any port.</summary>
    public IReadOnlyList<int> EffectiveAllowedPorts => AllowedPorts switch
    {
        null => DefaultPorts,
        var ports when ports.Contains("*") => [],
        var ports => ports.Select(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : -1).ToArray(),
    };

    private static readonly int[] DefaultPorts = [80, 443];
}
