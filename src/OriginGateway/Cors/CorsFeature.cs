using Microsoft.Extensions.DependencyInjection;
using OriginGateway.FrontDoor;

namespace OriginGateway.Cors;

internal static class CorsFeature
{
    /// <summary>The buckets' CORS rules: <c>?cors</c>, preflight answers and the front door's cross-origin rules.</summary>
    public static IServiceCollection AddBucketCors(this IServiceCollection services)
    {
        services.AddSingleton<CorsService>();
        services.AddSingleton<CorsEndpoint>();
        services.AddSingleton<ICrossOriginRules, CorsResponder>();
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<CorsEndpoint>());
        return services;
    }
}
