using OriginGateway.Configuration;

namespace OriginGateway.Oms;

/// <summary>OMS-style sync tasks (<c>Oms</c> section, <c>02-tasks.md</c> §2.5).</summary>
public sealed class OmsOptions : ISettingsSection<OmsOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, OmsOptions target) => section.Bind(target);

    /// <summary>The token of the Development configuration's project <c>dev-project</c>; refused in Production.</summary>
    public const string DevelopmentToken = "origin-gateway-development-oms-token";

    /// <summary>The <c>X-Auth-Token</c> of each project (<c>Oms:Tokens:&lt;project_id&gt;</c>).</summary>
    public Dictionary<string, string> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Sync tasks per project. Default 5.</summary>
    public int MaxTasksPerProject { get; set; } = 5;

    /// <summary>
    /// Passes (listings of a source) that run at the same time on one replica, each task's apart from the others'. Default 4;
    /// 1 to 64.
    /// </summary>
    public int MaxConcurrentPasses { get; set; } = 4;
}
