using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;
using OriginGateway.Tasks;

namespace OriginGateway.Oms;

internal static class OmsFeature
{
    /// <summary>OMS-style sync tasks (<c>Oms</c> settings): the API, keys in this replica's memory, the runner and the copy task kind.</summary>
    public static IServiceCollection AddOms(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<OmsOptions, OmsOptionsValidator>(configuration, "Oms");
        services.AddSingleton<SyncTaskRepository>();
        services.AddSingleton<SyncKeys>();
        services.AddSingleton<SyncSource>();
        services.AddSingleton<ITaskHandler, SyncCopyHandler>();
        services.AddSingleton<ITaskLeaseFilter, SyncLeaseFilter>();
        services.AddSingleton<SyncRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<SyncRunner>());
        services.AddSingleton<SyncTaskEndpoint>();
        return services;
    }
}
