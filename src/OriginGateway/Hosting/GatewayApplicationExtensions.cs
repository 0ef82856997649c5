using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Buckets;
using OriginGateway.FetchTasks;
using OriginGateway.Vod;

namespace OriginGateway.Hosting;

/// <summary>The request pipeline: the data endpoint first (no routing), then the control endpoint's routes.</summary>
internal static class GatewayApplicationExtensions
{
    public static WebApplication MapOriginGateway(this WebApplication app)
    {
        var binding = app.Services.GetRequiredService<EndpointBinding>();
        var data = app.Services.GetRequiredService<DataPlaneHandler>();
        app.Use((context, next) => binding.IsData(context) ? data.HandleAsync(context) : next(context));

        app.UseRouting();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });

        // TencentCloud API 3.0: VOD PullUpload and DescribeTaskDetail (02-tasks.md §2.4).
        var vod = app.Services.GetRequiredService<VodApiEndpoint>();
        app.MapPost("/", vod.HandleAsync);

        // COS fetch tasks (02-tasks.md §2.2).
        var fetch = app.Services.GetRequiredService<FetchTaskEndpoint>();
        app.MapPost("/{bucket}/", (HttpContext context, string bucket) => fetch.SubmitAsync(context, bucket));
        app.MapGet("/{bucket}/{taskid}", (HttpContext context, string bucket, string taskid) => fetch.GetAsync(context, bucket, taskid));
        app.MapDelete("/{bucket}/{taskid}", (HttpContext context, string bucket, string taskid) => fetch.CancelAsync(context, bucket, taskid));
        return app;
    }
}
