using Microsoft.Extensions.DependencyInjection;

namespace OriginGateway.Admin;

internal static class AdminFeature
{
    /// <summary>The admin page's session and the last hour's traffic; <see cref="AdminEndpoints.MapAdmin"/> maps it.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddSingleton<AdminSession>();
        services.AddSingleton<TrafficHistory>();
        services.AddHostedService(sp => sp.GetRequiredService<TrafficHistory>());
        return services;
    }
}
