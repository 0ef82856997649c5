using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// An origin for what WireMock.Net cannot play: a body sent in timed chunks, a body that stalls until
/// the test releases it, a body framed by chunks instead of a length, a body too large to hold in memory,
/// an answer that measures how many requests overlap. An in-process Kestrel
/// server on 127.0.0.1 whose answer per path is a handler the test writes; it counts the requests per
/// path. Ordinary stubs belong on a <see cref="WireMockOrigin"/>; broken framing on a <see cref="RawOrigin"/>.
/// </summary>
public sealed class SlowOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Path, string Range, string IfMatch)> _ranged = new();

    private SlowOrigin(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>host:port for origin rules and task URLs.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public static async Task<SlowOrigin> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var origin = new SlowOrigin(app);
        app.Run(origin.HandleAsync);
        await app.StartAsync();
        origin.Port = new Uri(app.Urls.First()).Port;
        return origin;
    }

    private Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _counts.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (context.Request.Headers.Range.Count > 0)
        {
            _ranged.Enqueue((path, context.Request.Headers.Range.ToString(), context.Request.Headers.IfMatch.ToString()));
        }
        if (_routes.TryGetValue(path, out var handler))
        {
            return handler(context);
        }
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    /// <summary>Scripts the answer for one path.</summary>
    public void On(string path, Func<HttpContext, Task> handler) => _routes[path] = handler;

    /// <summary>
    /// Answers 200 with <paramref name="body"/> in chunks, waiting <paramref name="delay"/> before the first and between chunks.
    /// With an <paramref name="etag"/> it sends it and answers a single <c>bytes=a-b</c> range with 206 (as slowly).
    /// </summary>
    public void ServeSlowly(string path, byte[] body, int chunk, TimeSpan delay, TimeSpan? firstByteDelay = null, string? etag = null) => On(path, async context =>
    {
        var (from, to) = (0, body.Length - 1);
        if (etag is not null)
        {
            context.Response.Headers.ETag = etag;
            context.Response.Headers.AcceptRanges = "bytes";
            if (context.Request.Headers.Range.ToString() is { Length: > 6 } range && range.StartsWith("bytes=", StringComparison.Ordinal))
            {
                var bounds = range[6..].Split('-');
                from = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
                to = bounds[1].Length == 0 ? body.Length - 1 : Math.Min(int.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture), body.Length - 1);
                context.Response.StatusCode = 206;
                context.Response.Headers.ContentRange = $"bytes {from}-{to}/{body.Length}";
            }
        }
        context.Response.ContentLength = to - from + 1;
        context.Response.ContentType = "application/octet-stream";
        await Task.Delay(firstByteDelay ?? delay);
        for (var offset = from; offset <= to; offset += chunk)
        {
            await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(chunk, to + 1 - offset)));
            await context.Response.Body.FlushAsync();
            if (offset + chunk <= to)
            {
                await Task.Delay(delay);
            }
        }
    });

    /// <summary>
    /// Answers 200 with <paramref name="body"/> (its length announced) in two goes: the first 50,000 bytes, then — once
    /// <paramref name="release"/> completes — the rest; <paramref name="started"/> is set between them (the body is
    /// arriving). What a test needs to act while a fetch is half done.
    /// </summary>
    public static async Task SendInTwoAsync(HttpContext context, byte[] body, TaskCompletionSource started, Task release)
    {
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body.AsMemory(0, 50_000));
        await context.Response.Body.FlushAsync();
        started.TrySetResult();
        await release.WaitAsync(TimeSpan.FromSeconds(20));
        await context.Response.Body.WriteAsync(body.AsMemory(50_000));
    }

    /// <summary>The Range and If-Match of every ranged request it received for <paramref name="path"/>, in order.</summary>
    public IReadOnlyList<(string Range, string IfMatch)> Ranged(string path) => _ranged.Where(r => r.Path == path).Select(r => (r.Range, r.IfMatch)).ToList();

    /// <summary>How many requests it received for <paramref name="path"/> (any query, any method).</summary>
    public int Count(string path) => _counts.GetValueOrDefault(path);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
