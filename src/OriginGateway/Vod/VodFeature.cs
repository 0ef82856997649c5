using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;
using OriginGateway.Tasks;

namespace OriginGateway.Vod;

internal static class VodFeature
{
    /// <summary>VOD PullUpload (TencentCloud API 3.0, <c>Vod</c> settings): its API, sessions, rate limit, HLS pull and task kinds.</summary>
    public static IServiceCollection AddVod(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<VodOptions, VodOptionsValidator>(configuration, "Vod");
        services.AddSingleton<Tc3Authenticator>();
        services.AddSingleton<VodRateLimiter>();
        services.AddSingleton<VodSessions>();
        services.AddSingleton<HlsPull>();
        services.AddSingleton<ITaskHandler, PullUploadHandler>();
        services.AddSingleton<ITaskHandler, ExpireHandler>();
        services.AddSingleton<VodApiEndpoint>();
        return services;
    }

    /// <summary>The TencentCloud API 3.0 (VOD PullUpload, DescribeTaskDetail) at <c>POST /</c> of the control endpoint (<c>02-tasks.md</c> §2.4).</summary>
    public static IEndpointRouteBuilder MapVod(this IEndpointRouteBuilder routes)
    {
        var vod = routes.ServiceProvider.GetRequiredService<VodApiEndpoint>();
        routes.MapPost("/", (RequestDelegate)vod.HandleAsync);
        return routes;
    }
}
