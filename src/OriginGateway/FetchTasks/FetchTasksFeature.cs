using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Tasks;

namespace OriginGateway.FetchTasks;

internal static class FetchTasksFeature
{
    /// <summary>COS fetch tasks: the task kind and its API on the control endpoint.</summary>
    public static IServiceCollection AddFetchTasks(this IServiceCollection services)
    {
        services.AddSingleton<ITaskHandler, FetchTaskHandler>();
        services.AddSingleton<FetchTaskEndpoint>();
        return services;
    }
}
