using OriginGateway.Configuration;

namespace OriginGateway.Vod;

/// <summary>VOD PullUpload (<c>Vod</c> section, <c>02-tasks.md</c> §2.4).</summary>
public sealed class VodOptions : ISettingsSection<VodOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, VodOptions target) => section.Bind(target);

    /// <summary>Media bucket per <c>SubAppId</c>; key <c>0</c> when the request names none (Development: the default bucket).</summary>
    public Dictionary<string, string> Buckets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Media bucket per <c>StorageRegion</c>.</summary>
    public Dictionary<string, string> RegionBuckets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Further <c>StorageRegion</c> values accepted (stored in the SubAppId's bucket).</summary>
    public List<string> Regions { get; set; } = [];

    /// <summary>The most files (playlists, segments, keys) one HLS pull may store. Default 20,000.</summary>
    public int MaxHlsFiles { get; set; } = 20_000;

    /// <summary>Where <c>NewFileUpload</c> events are POSTed (signed like task callbacks); empty = none.</summary>
    public string EventCallbackUrl { get; set; } = "";

    /// <summary>API requests per second per SecretId before <c>RequestLimitExceeded</c>. Default 100.</summary>
    public int RequestsPerSecond { get; set; } = 100;
}
