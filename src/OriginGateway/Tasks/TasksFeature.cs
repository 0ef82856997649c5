using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;

namespace OriginGateway.Tasks;

internal static class TasksFeature
{
    /// <summary>The one task engine (<c>Tasks</c> settings), its durable queue and the fill task kinds share; kinds add their <see cref="ITaskHandler"/>.</summary>
    public static IServiceCollection AddTaskEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<TaskOptions, TaskOptionsValidator>(configuration, "Tasks");
        services.AddSingleton<ITaskStore, SqlTaskStore>();
        services.AddSingleton<TaskFill>();
        services.AddSingleton<TaskEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskEngine>());
        return services;
    }
}
