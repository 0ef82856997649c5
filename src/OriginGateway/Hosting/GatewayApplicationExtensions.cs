using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Buckets;

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
        return app;
    }
}
