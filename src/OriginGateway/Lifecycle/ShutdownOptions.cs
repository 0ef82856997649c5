using OriginGateway.Configuration;

namespace OriginGateway.Lifecycle;

/// <summary>Graceful shutdown (<c>Shutdown</c> section, <c>04-operations.md</c> §4.4).</summary>
public sealed class ShutdownOptions : ISettingsSection<ShutdownOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, ShutdownOptions target) => section.Bind(target);

    /// <summary>
    /// After SIGTERM: how long running fills may go on to finish before they are aborted cleanly
    /// (nothing partial is kept). In-flight requests get this long plus 5 s. Default 10 s.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(10);
}
