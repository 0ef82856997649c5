using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;

namespace OriginGateway.Observability;

internal static class ObservabilityFeature
{
    /// <summary>The gateway's metrics, the framework meters' adapter (<c>Metrics</c> settings) and the recent decisions.</summary>
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<MetricsOptions>(configuration, "Metrics");
        services.AddSingleton(_ => new GatewayMetrics());
        services.AddSingleton<FrameworkMetrics>();
        services.AddSingleton<RecentDecisions>();
        return services;
    }
}
