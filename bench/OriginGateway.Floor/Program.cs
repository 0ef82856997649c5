using System.Net;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

// The least a .NET server can do for three of the benchmark's scenarios, to measure the gateway against:
//   GET /hit/<key>       <origin>/<key> from memory, fetched once (hit1k's floor: no store, no bucket, no signature)
//   GET /redirect/<key>  302 to <origin>/<key> (redirect's floor: no rule matching)
//   GET /proxy/<key>     <origin>/<key> forwarded through YARP's IHttpForwarder (proxy64k's floor)
// Usage: dotnet OriginGateway.Floor.dll --urls http://127.0.0.1:PORT --Origin http://127.0.0.1:ORIGINPORT
// It runs with the gateway's runtime settings: its GC and tiering (the project file), its array pool, its thread-pool
// minimum and no Server header; it logs nothing.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION")))
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION", "256");
}
ThreadPool.GetMinThreads(out var workers, out var completion);
ThreadPool.SetMinThreads(Math.Max(workers, 64), completion);

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddHttpForwarder();
var app = builder.Build();

var origin = (app.Configuration["Origin"] ?? throw new InvalidOperationException("--Origin is required")).TrimEnd('/');
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    ConnectTimeout = TimeSpan.FromSeconds(15),
});
var config = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
var copies = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);

app.Run(context =>
{
    var path = context.Request.Path.Value ?? "";
    if (path.StartsWith("/hit/", StringComparison.Ordinal))
    {
        if (copies.TryGetValue(path, out var body))
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        }
        return FirstHitAsync(context, path);
    }
    if (path.StartsWith("/redirect/", StringComparison.Ordinal))
    {
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = origin + path["/redirect".Length..];
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
    if (path.StartsWith("/proxy/", StringComparison.Ordinal))
    {
        var target = new Uri(origin + path["/proxy".Length..]);
        return ForwardAsync(context, target);
    }
    context.Response.StatusCode = StatusCodes.Status404NotFound;
    return Task.CompletedTask;
});
app.Run();

async Task FirstHitAsync(HttpContext context, string path)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, origin + path["/hit".Length..]);
    using var response = await invoker.SendAsync(request, context.RequestAborted);
    var body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
    context.Response.StatusCode = (int)response.StatusCode;
    if (response.IsSuccessStatusCode)
    {
        copies[path] = body;
    }
    context.Response.ContentLength = body.Length;
    await context.Response.Body.WriteAsync(body, context.RequestAborted);
}

async Task ForwardAsync(HttpContext context, Uri target)
{
    var error = await forwarder.SendAsync(context, origin, invoker, config, new ToTarget(target));
    if (error != ForwarderError.None && !context.Response.HasStarted)
    {
        context.Response.StatusCode = StatusCodes.Status502BadGateway;
    }
}

/// <summary>Sends the request to one URL, with none of the client's headers.</summary>
internal sealed class ToTarget(Uri target) : HttpTransformer
{
    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        proxyRequest.RequestUri = target;
        proxyRequest.Method = HttpMethod.Get;
        proxyRequest.Content = null;
        return ValueTask.CompletedTask;
    }
}
