using Microsoft.Extensions.DependencyInjection;
using OriginGateway.FrontDoor;
using OriginGateway.Tasks;

namespace OriginGateway.OriginPull;

internal static class OriginPullFeature
{
    /// <summary>Misses through the bucket's rules: Mirror fills, Proxy (YARP) and its background store, Redirect; the front door's miss handler.</summary>
    public static IServiceCollection AddOriginPull(this IServiceCollection services)
    {
        services.AddSingleton<FillRegistry>();
        services.AddSingleton<MirrorAction>();
        services.AddSingleton<ProxyAction>();
        services.AddSingleton<DecisionLog>();
        services.AddSingleton<OriginPullDispatcher>();
        services.AddSingleton<IObjectMissHandler>(sp => sp.GetRequiredService<OriginPullDispatcher>());
        services.AddSingleton<ITaskHandler, ProxyStoreHandler>();
        services.AddHttpForwarder();
        return services;
    }
}
