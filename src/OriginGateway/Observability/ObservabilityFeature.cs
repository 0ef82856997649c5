using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;
using Prometheus;

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

    /// <summary><c>/metrics</c> (GET, HEAD) from the gateway's registry, served by prometheus-net; the framework meters join it from the start.</summary>
    public static IEndpointRouteBuilder MapGatewayMetrics(this IEndpointRouteBuilder routes)
    {
        routes.ServiceProvider.GetRequiredService<FrameworkMetrics>();
        routes.MapMetrics("/metrics", routes.ServiceProvider.GetRequiredService<GatewayMetrics>().Registry)
            .WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
        return routes;
    }
}
