using Microsoft.Extensions.Configuration;
using OriginGateway.Configuration;
using OriginGateway.Tasks;

namespace OriginGateway.Vod;

/// <summary>Checks the Vod settings at start: every problem, each naming its setting.</summary>
internal sealed class VodOptionsValidator(IConfiguration configuration) : SettingsValidator<VodOptions>
{
    protected override void Check(VodOptions options, List<string> problems)
    {
        // The buckets VOD stores into must be configured ones (Buckets:N:Name).
        var configured = configuration.GetSection("Buckets").GetChildren().Select(b => b["Name"]).ToHashSet(StringComparer.Ordinal);
        foreach (var (section, map) in new[] { ("Vod:Buckets", options.Buckets), ("Vod:RegionBuckets", options.RegionBuckets) })
        {
            foreach (var (key, bucket) in map)
            {
                if (!configured.Contains(bucket))
                {
                    problems.Add($"{section}:{key} names '{bucket}', which is not a configured bucket.");
                }
            }
        }
        if (options.MaxHlsFiles is < 1 or > 1_000_000)
        {
            problems.Add("Vod:MaxHlsFiles must be 1..1000000.");
        }
        if (options.RequestsPerSecond < 1)
        {
            problems.Add("Vod:RequestsPerSecond must be at least 1.");
        }
        if (options.EventCallbackUrl.Length > 0 && TaskUrl.Parse(options.EventCallbackUrl, schemeOptional: false, out var error) is null)
        {
            problems.Add($"Vod:EventCallbackUrl {error} (an absolute http or https URL is required).");
        }
    }
}
