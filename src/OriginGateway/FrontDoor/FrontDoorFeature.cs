using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;

namespace OriginGateway.FrontDoor;

internal static class FrontDoorFeature
{
    /// <summary>The data endpoint: its request handler, object reads and writes, and the sub-resource table every feature adds its routes to.</summary>
    public static IServiceCollection AddFrontDoor(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<LimitsOptions, LimitsOptionsValidator>(configuration, "Limits");
        services.AddSingleton<ObjectWriteHandler>();
        services.AddSingleton<FormUploadHandler>();
        services.AddSingleton<BucketPolicyEndpoint>();
        services.AddSingleton<ISubresourceProvider, BucketSubresources>();
        services.AddSingleton<ISubresourceProvider, ObjectAttributesEndpoint>();
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<BucketPolicyEndpoint>());
        services.AddSingleton<SubresourceTable>();
        services.AddSingleton<AccessLog>();
        services.AddSingleton<RequestAdmission>();
        services.AddSingleton<DataPlaneHandler>();
        return services;
    }
}
