using OriginGateway.Configuration;

namespace OriginGateway.Multipart;

/// <summary>Multipart uploads (<c>Multipart</c> section).</summary>
public sealed class MultipartOptions : ISettingsSection<MultipartOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, MultipartOptions target) => section.Bind(target);

    /// <summary>An upload neither completed nor aborted this long after it was initiated is aborted and its parts removed. Default 7 days.</summary>
    public TimeSpan AbandonAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often abandoned uploads are looked for (also once at start-up). Default 1 hour.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);
}
