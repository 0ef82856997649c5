using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>A request an origin received.</summary>
public sealed record OriginHit(string PathAndQuery, Dictionary<string, string> Headers);

/// <summary>
/// A reusable fault-injection origin: an in-process Kestrel server on 127.0.0.1 whose answer per
/// path is scripted by the test (bodies, slow first byte, slow body, stalls, resets, statuses,
/// redirect chains). Counts and records every request. Unscripted paths answer 404.
/// </summary>
public sealed class FaultOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<OriginHit> _hits = new();

    private FaultOrigin(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>host:port for origin rules.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public static async Task<FaultOrigin> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var origin = new FaultOrigin(app);
        app.Run(origin.HandleAsync);
        await app.StartAsync();
        origin.Port = new Uri(app.Urls.First()).Port;
        return origin;
    }

    private Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _hits.Enqueue(new OriginHit(path + context.Request.QueryString, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        if (_routes.TryGetValue(path, out var handler))
        {
            return handler(context);
        }
        context.Response.StatusCode = 404;
        return context.Response.WriteAsync("not found at the origin");
    }

    /// <summary>Scripts the answer for one path.</summary>
    public void On(string path, Func<HttpContext, Task> handler) => _routes[path] = handler;

    /// <summary>Answers 200 with <paramref name="body"/> (Content-Length set), optionally with headers.</summary>
    public void Serve(string path, byte[] body, string contentType = "application/octet-stream", params (string Name, string Value)[] headers) => On(path, async context =>
    {
        context.Response.ContentType = contentType;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }
        context.Response.Headers.ETag = "\"v1-" + body.Length + "\"";
        var range = context.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && !range.Contains(',', StringComparison.Ordinal))
        {
            var parts = range[6..].Split('-');
            var start = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            var end = parts[1].Length == 0 ? body.Length - 1 : Math.Min(long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), body.Length - 1);
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{end}/{body.Length}";
            context.Response.ContentLength = end - start + 1;
            await context.Response.Body.WriteAsync(body.AsMemory((int)start, (int)(end - start + 1)));
            return;
        }
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body);
    });

    /// <summary>Answers 200 with <paramref name="body"/> in chunks, waiting <paramref name="delay"/> before the first and between chunks.</summary>
    public void ServeSlowly(string path, byte[] body, int chunk, TimeSpan delay, TimeSpan? firstByteDelay = null) => On(path, async context =>
    {
        context.Response.ContentLength = body.Length;
        context.Response.ContentType = "application/octet-stream";
        await Task.Delay(firstByteDelay ?? delay);
        for (var offset = 0; offset < body.Length; offset += chunk)
        {
            await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(chunk, body.Length - offset)));
            await context.Response.Body.FlushAsync();
            if (offset + chunk < body.Length)
            {
                await Task.Delay(delay);
            }
        }
    });

    /// <summary>Answers a status with a small body.</summary>
    public void Status(string path, int status, string body = "") => On(path, async context =>
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsync(body);
    });

    /// <summary>Answers a redirect to <paramref name="location"/>.</summary>
    public void Redirect(string path, string location, int status = 302) => On(path, context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    });

    public int Count(string path) => _hits.Count(h => h.PathAndQuery == path || h.PathAndQuery.StartsWith(path + "?", StringComparison.Ordinal));

    public IReadOnlyList<OriginHit> Hits(string path) => _hits.Where(h => h.PathAndQuery == path || h.PathAndQuery.StartsWith(path + "?", StringComparison.Ordinal)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
