using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Admin;
using OriginGateway.Buckets;
using OriginGateway.Dependencies;
using OriginGateway.FetchTasks;
using OriginGateway.FrontDoor;
using OriginGateway.Lifecycle;
using OriginGateway.Observability;
using OriginGateway.Oms;
using OriginGateway.Protocol;
using OriginGateway.Vod;
using Prometheus;

namespace OriginGateway.Hosting;

/// <summary>The request pipeline: the data endpoint first (no routing), then the control endpoint's routes.</summary>
internal static class GatewayApplicationExtensions
{
    public static WebApplication MapOriginGateway(this WebApplication app)
    {
        // Behind a TLS-terminating proxy: only the configured proxies' X-Forwarded-* count (none by default).
        var proxies = app.Services.GetRequiredService<GatewayOptions>().ForwardedHeaders.KnownProxies;
        if (proxies.Count > 0)
        {
            var forwarded = new ForwardedHeadersOptions
            {
                ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                forwarded.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }
            app.UseForwardedHeaders(forwarded);
        }

        var binding = app.Services.GetRequiredService<EndpointBinding>();
        var data = app.Services.GetRequiredService<DataPlaneHandler>();
        app.Use((context, next) => binding.IsData(context) ? data.HandleAsync(context) : next(context));

        // The control endpoint's APIs answer a failing dependency with a retryable 503 in their own format,
        // anything else with a 500 — never an exception page, never echoing the request.
        var registry = app.Services.GetRequiredService<BucketRegistry>();
        var failures = app.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("OriginGateway.ControlEndpoint");
        var startup = app.Services.GetRequiredService<StartupGate>();
        app.Use(async (context, next) =>
        {
            if (!startup.IsOpen && context.Request.Path.Value is not ("/healthz" or "/readyz" or "/metrics"))
            {
                // Started while the control database was away: its APIs wait for the configuration like the data endpoint.
                await UnavailableAsync(context, 503, "ServiceUnavailable", StartupGate.HeldMessage).ConfigureAwait(false);
                return;
            }
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
            {
                await ControlFailureAsync(context, e, failures).ConfigureAwait(false);
                return;
            }
            // No route took the request (an unknown path, or a known one with another method): routing
            // leaves an empty 404/405; the answer says so in JSON like every other control error.
            if (!context.Response.HasStarted && context.Response.StatusCode is 404 or 405 && (context.GetEndpoint() is null || context.Response.Headers.Allow.Count > 0))
            {
                await UnmatchedAsync(context, registry).ConfigureAwait(false);
            }
        });

        app.UseRouting();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = Dependencies.DependencyMonitor.WriteReadinessAsync });
        // Each feature maps its own control API.
        app.MapGatewayMetrics();
        app.MapAdmin();
        app.MapVod();
        app.MapOms();
        app.MapFetchTasks();
        return app;
    }

    private static Task UnmatchedAsync(HttpContext context, BucketRegistry buckets)
    {
        var requestId = RequestIds.Next();
        context.Response.Headers[RequestIds.HeaderName] = requestId;
        // "/x" and "/x/y" fit the fetch-task routes whatever x is: unless x is a bucket, such a path is unknown, not a wrong method.
        var path = context.Request.Path.Value ?? "/";
        var first = path.Length > 1 ? path[1..].Split('/')[0] : "";
        var known = first.Length == 0 || first is "healthz" or "readyz" or "metrics" or "admin" or "v2" || buckets.Find(first) is not null;
        if (!known)
        {
            context.Response.Headers.Allow = default;
        }
        return context.Response.StatusCode == 405 && known
            ? FetchTaskEndpoint.ErrorAsync(context, 405, "MethodNotAllowed", $"This path takes only {context.Response.Headers.Allow}.", requestId)
            : FetchTaskEndpoint.ErrorAsync(context, 404, "NotFound", "The control endpoint has no such path: it serves /healthz, /readyz, /metrics, /admin, /<bucket>/ (fetch tasks), POST / (VOD API) and /v2/<project>/sync-tasks.", requestId);
    }

    private static Task ControlFailureAsync(HttpContext context, Exception exception, Microsoft.Extensions.Logging.ILogger logger)
    {
        var dependency = DependencyFailure.Of(exception);
        Microsoft.Extensions.Logging.LoggerExtensions.LogError(logger, new Microsoft.Extensions.Logging.EventId(LogEvents.ControlRequestFailed, nameof(LogEvents.ControlRequestFailed)), exception, "A {Method} request on the control endpoint failed ({Dependency})", context.Request.Method, dependency ?? "unexpected");
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }
        context.Response.Clear();
        return dependency is null
            ? UnavailableAsync(context, 500, "InternalError", "The gateway failed to handle the request.")
            : UnavailableAsync(context, 503, "ServiceUnavailable", DependencyFailure.Message(dependency));
    }

    /// <summary>
    /// A control request the gateway cannot serve, in its API's format: a 503 (with <c>Retry-After</c>: a dependency that
    /// failed, a start that waits for the database) or a 500.
    /// </summary>
    private static Task UnavailableAsync(HttpContext context, int status, string code, string message)
    {
        if (status == 503)
        {
            context.Response.Headers.RetryAfter = "1";
        }
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            return SyncTaskEndpoint.ErrorAsync(context, status, status == 503 ? "OMS.0503" : "OMS.0500", message);
        }
        if (path == "/" && HttpMethods.IsPost(context.Request.Method))
        {
            return VodApiEndpoint.ErrorAsync(context, Guid.NewGuid().ToString(), code, message);
        }
        var requestId = RequestIds.Next();
        context.Response.Headers[RequestIds.HeaderName] = requestId;
        return FetchTaskEndpoint.ErrorAsync(context, status, code, message, requestId);
    }
}
