using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;

namespace OriginGateway.Lifecycle;

internal static class LifecycleFeature
{
    /// <summary>
    /// The listeners (<c>Endpoints</c>), the start-up gate (<see cref="StartupGate"/>) and draining on shutdown (<c>Shutdown</c>). The listeners themselves are
    /// the host's <see cref="EndpointBinding"/>, registered by it.
    /// </summary>
    public static IServiceCollection AddLifecycle(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<EndpointsOptions, EndpointsOptionsValidator>(configuration, "Endpoints");
        services.AddSettings<ShutdownOptions, ShutdownOptionsValidator>(configuration, "Shutdown");
        services.AddSingleton<ShutdownSignal>();
        services.AddSingleton<StartupGate>();
        services.AddSingleton<IGatewayListeners>(sp => sp.GetRequiredService<EndpointBinding>());
        return services;
    }
}
