using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
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

    /// <summary>The sync-task API under <c>/v2/{project_id}/sync-tasks</c> of the control endpoint (<c>02-tasks.md</c> §2.5).</summary>
    public static IEndpointRouteBuilder MapOms(this IEndpointRouteBuilder routes)
    {
        var sync = routes.ServiceProvider.GetRequiredService<SyncTaskEndpoint>();
        routes.MapPost("/v2/{project_id}/sync-tasks", (HttpContext c, string project_id) => sync.CreateAsync(c, project_id));
        routes.MapGet("/v2/{project_id}/sync-tasks", (HttpContext c, string project_id) => sync.ListAsync(c, project_id));
        routes.MapGet("/v2/{project_id}/sync-tasks/{id}", (HttpContext c, string project_id, string id) => sync.GetAsync(c, project_id, id));
        routes.MapDelete("/v2/{project_id}/sync-tasks/{id}", (HttpContext c, string project_id, string id) => sync.DeleteAsync(c, project_id, id));
        routes.MapPost("/v2/{project_id}/sync-tasks/{id}/start", (HttpContext c, string project_id, string id) => sync.StartAsync(c, project_id, id));
        routes.MapPost("/v2/{project_id}/sync-tasks/{id}/stop", (HttpContext c, string project_id, string id) => sync.StopAsync(c, project_id, id));
        routes.MapPost("/v2/{project_id}/sync-tasks/{id}/events", (HttpContext c, string project_id, string id) => sync.EventsAsync(c, project_id, id));
        return routes;
    }
}
