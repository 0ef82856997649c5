using System.Globalization;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>A request an origin received.</summary>
public sealed record OriginHit(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// The functional tests' HTTP origin: a WireMock.Net server in the test process on 127.0.0.1 (a free
/// port). Stubs are given with WireMock.Net's own request/response builders (helpers below for the
/// common ones), and what it received is read from its request log. Unstubbed paths answer 404.
/// What WireMock cannot play — bodies sent slowly or stalled, exact timing — is <see cref="SlowOrigin"/>'s;
/// broken framing is <see cref="RawOrigin"/>'s.
/// </summary>
public sealed class WireMockOrigin : IAsyncDisposable
{
    private WireMockOrigin(WireMockServer server) => Server = server;

    public WireMockServer Server { get; }

    public int Port => Server.Port;

    /// <summary>host:port for origin rules and task URLs.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public static WireMockOrigin Start() => Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });

    /// <summary>One with settings of the test's own (an https URL and its certificate, say).</summary>
    public static WireMockOrigin Start(WireMockServerSettings settings) => new(WireMockServer.Start(settings));

    /// <summary>
    /// Answers GET and HEAD of <paramref name="path"/> with 200, <paramref name="body"/>, a strong ETag and
    /// any more headers; a single <c>Range: bytes=a-b</c> is answered 206 with that part.
    /// </summary>
    public void Serve(string path, byte[] body, string contentType = "application/octet-stream", params (string Name, string Value)[] headers)
    {
        var etag = "\"v1-" + body.Length + "\"";
        IResponseBuilder WithHeaders(IResponseBuilder response)
        {
            response = response.WithHeader("Content-Type", contentType).WithHeader("ETag", etag);
            foreach (var (name, value) in headers)
            {
                response = response.WithHeader(name, value);
            }
            return response;
        }

        Server.Given(Request.Create().WithPath(path).UsingMethod("GET", "HEAD")).AtPriority(10)
            .RespondWith(WithHeaders(Response.Create().WithStatusCode(200).WithBody(body)));
        Server.Given(Request.Create().WithPath(path).UsingMethod("GET").WithHeader("Range", "bytes=*")).AtPriority(5)
            .RespondWith(WithHeaders(Response.Create()).WithCallback(request => PartOf(body, request.Headers!["Range"].ToString())));
    }

    private static ResponseMessage PartOf(byte[] body, string range)
    {
        var parts = range["bytes=".Length..].Split('-');
        var start = long.Parse(parts[0], CultureInfo.InvariantCulture);
        var end = parts[1].Length == 0 ? body.Length - 1 : Math.Min(long.Parse(parts[1], CultureInfo.InvariantCulture), body.Length - 1);
        return new ResponseMessage
        {
            StatusCode = 206,
            Headers = new Dictionary<string, WireMockList<string>> { ["Content-Range"] = new($"bytes {start}-{end}/{body.Length}") },
            BodyData = new BodyData { DetectedBodyType = BodyType.Bytes, BodyAsBytes = body[(int)start..(int)(end + 1)] },
        };
    }

    /// <summary>Answers any method on <paramref name="path"/> with a status and a small text body.</summary>
    public void Status(string path, int status, string body = "") =>
        Server.Given(Request.Create().WithPath(path)).RespondWith(Response.Create().WithStatusCode(status).WithBody(body));

    /// <summary>Answers GET and HEAD of <paramref name="path"/> with a redirect to <paramref name="location"/>.</summary>
    public void Redirect(string path, string location, int status = 302) =>
        Server.Given(Request.Create().WithPath(path).UsingMethod("GET", "HEAD")).RespondWith(Response.Create().WithStatusCode(status).WithHeader("Location", location));

    /// <summary>Answers any method on <paramref name="path"/> after <paramref name="delay"/> (headers included), e.g. a stalled origin.</summary>
    public void Delay(string path, TimeSpan delay, int status = 200) =>
        Server.Given(Request.Create().WithPath(path)).RespondWith(Response.Create().WithStatusCode(status).WithDelay(delay));

    /// <summary>
    /// Answers the requests to <paramref name="path"/> in turn with <paramref name="answers"/> (a WireMock
    /// scenario per path); the last answer repeats.
    /// </summary>
    public void InTurn(string path, params IResponseBuilder[] answers)
    {
        var scenario = "in-turn " + path;
        for (var i = 0; i < answers.Length; i++)
        {
            var stub = Server.Given(Request.Create().WithPath(path)).InScenario(scenario);
            if (i > 0)
            {
                stub = stub.WhenStateIs("answer " + i);
            }
            if (i < answers.Length - 1)
            {
                stub = stub.WillSetStateTo("answer " + (i + 1));
            }
            stub.RespondWith(answers[i]);
        }
    }

    /// <summary>Waits (up to <paramref name="timeout"/>, 30 s by default) until <paramref name="count"/> requests to <paramref name="path"/> arrived; returns them.</summary>
    public async Task<IReadOnlyList<OriginHit>> WaitForHitsAsync(string path, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var hits = Hits(path);
            if (hits.Count >= count)
            {
                return hits;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path} received {hits.Count} of {count} requests");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>How many requests it received for <paramref name="path"/>, with or without a query, any method.</summary>
    public int Count(string path) => Server.LogEntries.Count(e => e.RequestMessage.AbsolutePath == path);

    /// <summary>How many requests it received for a method and a path with its query (as sent).</summary>
    public int Count(string method, string pathAndQuery) => Hits().Count(h => string.Equals(h.Method, method, StringComparison.OrdinalIgnoreCase) && h.PathAndQuery == pathAndQuery);

    /// <summary>The requests it received for <paramref name="path"/> (with or without a query), in order.</summary>
    public IReadOnlyList<OriginHit> Hits(string path) => Hits().Where(h => h.PathAndQuery == path || h.PathAndQuery.StartsWith(path + "?", StringComparison.Ordinal)).ToList();

    private IEnumerable<OriginHit> Hits() => Server.LogEntries
        .OrderBy(e => e.RequestMessage.DateTime)
        .Select(e => e.RequestMessage)
        .Select(r => new OriginHit(
            r.Method,
            r.AbsolutePath + (r.RawQuery is { Length: > 0 } query ? "?" + query.TrimStart('?') : ""),
            (r.Headers ?? new Dictionary<string, WireMockList<string>>()).ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase),
            r.BodyAsBytes ?? (r.Body is { } text ? System.Text.Encoding.UTF8.GetBytes(text) : [])));

    public ValueTask DisposeAsync()
    {
        Server.Stop();
        Server.Dispose();
        return ValueTask.CompletedTask;
    }
}
