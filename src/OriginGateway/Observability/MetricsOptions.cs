using OriginGateway.Configuration;

namespace OriginGateway.Observability;

/// <summary>What <c>/metrics</c> exports besides the gateway's own families (<c>Metrics</c> section).</summary>
public sealed class MetricsOptions : ISettingsSection<MetricsOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, MetricsOptions target) => section.Bind(target);

    /// <summary>
    /// Framework meters to export through prometheus-net's meter adapter; default <c>Microsoft.AspNetCore.Hosting</c>,
    /// <c>Microsoft.AspNetCore.Server.Kestrel</c>, <c>System.Runtime</c>. A meter that is not listed costs nothing on the request path.
    /// </summary>
    public List<string>? FrameworkMeters { get; set; }
}
