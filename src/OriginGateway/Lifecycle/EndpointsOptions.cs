using OriginGateway.Configuration;

namespace OriginGateway.Lifecycle;

/// <summary>Listen URLs (<c>Endpoints</c> section).</summary>
public sealed class EndpointsOptions : ISettingsSection<EndpointsOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, EndpointsOptions target) => section.Bind(target);

    /// <summary>The object API. Default <c>http://127.0.0.1:8080</c>.</summary>
    public string Data { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Tasks, health, metrics, admin. Default <c>http://127.0.0.1:8081</c>.</summary>
    public string Control { get; set; } = "http://127.0.0.1:8081";
}
