using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;

namespace OriginGateway.Origins;

internal static class OriginsFeature
{
    /// <summary>The origin fetcher, its client, host health and limits, the negative cache and the ingest pipeline (<c>OriginPull</c> settings).</summary>
    public static IServiceCollection AddOrigins(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<OriginPullOptions, OriginPullOptionsValidator>(configuration, "OriginPull");
        services.AddSingleton<OriginHttpClient>();
        services.AddSingleton<HostHealth>();
        services.AddSingleton<HostSelector>();
        services.AddSingleton<HostLimiter>();
        services.AddSingleton<NegativeCache>();
        services.AddSingleton<OriginFetcher>();
        services.AddSingleton<OriginIngest>();
        return services;
    }
}
