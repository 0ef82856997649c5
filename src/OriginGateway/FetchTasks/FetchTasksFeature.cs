using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
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

    /// <summary>The COS fetch-task API under <c>/{bucket}/</c> of the control endpoint (<c>02-tasks.md</c> §2.2).</summary>
    public static IEndpointRouteBuilder MapFetchTasks(this IEndpointRouteBuilder routes)
    {
        var fetch = routes.ServiceProvider.GetRequiredService<FetchTaskEndpoint>();
        routes.MapPost("/{bucket}/", (HttpContext context, string bucket) => fetch.SubmitAsync(context, bucket));
        routes.MapGet("/{bucket}/{taskid}", (HttpContext context, string bucket, string taskid) => fetch.GetAsync(context, bucket, taskid));
        routes.MapDelete("/{bucket}/{taskid}", (HttpContext context, string bucket, string taskid) => fetch.CancelAsync(context, bucket, taskid));
        return routes;
    }
}
