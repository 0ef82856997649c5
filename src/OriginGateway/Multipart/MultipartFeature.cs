using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;
using OriginGateway.FrontDoor;

namespace OriginGateway.Multipart;

internal static class MultipartFeature
{
    /// <summary>Multipart upload (<c>Multipart</c> settings): its sub-resources and the sweep of abandoned uploads.</summary>
    public static IServiceCollection AddMultipart(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<MultipartOptions, MultipartOptionsValidator>(configuration, "Multipart");
        services.AddSingleton<MultipartHandler>();
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<MultipartHandler>());
        services.AddHostedService<MultipartSweeper>();
        return services;
    }
}
