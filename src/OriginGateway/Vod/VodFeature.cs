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
}
