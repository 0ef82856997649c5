using System.Net;
using System.Security.Cryptography;
using System.Text;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Actions;

public sealed class MirrorTests(OriginPullFixture fixture) : IClassFixture<OriginPullFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private static string Unique(string prefix, string name = "obj.bin") => $"{prefix}{Guid.NewGuid():N}/{name}";

    private static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    private static string Md5(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    private async Task<HttpResponseMessage> GetAsync(string key, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, fixture.Url(key));
        configure?.Invoke(request);
        return await Gateway.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> HeadAsync(string key) => await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, fixture.Url(key)));

    /// <summary>
    /// A part GET of a miss (what the SDKs' parallel downloads send first): the origin is asked for the object — the
    /// client's other query parameters followed, its <c>partNumber</c> not —, the object is stored and served whole as
    /// part 1; once stored it is one part. A later part of a key with nothing stored is never pulled.
    /// </summary>
    [Fact]
    public async Task APartGetOfAMiss_PullsTheWholeObject_AndALaterPartIsNeverPulled()
    {
        var key = Unique("m/");
        var body = RandomBytes(100_000);
        fixture.A.Serve("/" + key, body);

        var first = await GetAsync(key + "?partNumber=1&x-id=GetObject");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(body, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal(["/" + key + "?x-id=GetObject"], fixture.A.Hits("/" + key).Select(h => h.PathAndQuery));
        var stored = await GetAsync(key + "?partNumber=1");
        Assert.Equal(HttpStatusCode.PartialContent, stored.StatusCode);
        Assert.Equal("hit", stored.Headers.GetValues("x-origin-action").Single());
        Assert.Equal(body, await stored.Content.ReadAsByteArrayAsync());

        var other = Unique("m/");
        fixture.A.Serve("/" + other, body);
        var later = await GetAsync(other + "?partNumber=2");
        Assert.Equal(HttpStatusCode.NotFound, later.StatusCode);
        Assert.Equal(0, fixture.A.Count("/" + other));
    }

    [Fact]
    public async Task Miss_IsFetchedStoredAndServed_NextGetIsAHit()
    {
        var key = Unique("m/");
        var body = RandomBytes(200_000);
        fixture.A.Serve("/" + key, body, "image/png", ("Cache-Control", "max-age=60"), ("x-amz-meta-color", "blue"), ("x-oss-meta-size", "L"), ("Content-Disposition", "inline"));

        var first = await GetAsync(key);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(body, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal("mirror", first.Headers.GetValues("x-origin-action").Single());
        Assert.Equal("1", first.Headers.GetValues("x-origin-rule").Single());
        Assert.Equal(body.Length, first.Content.Headers.ContentLength);

        var second = await GetAsync(key);
        Assert.Equal("hit", second.Headers.GetValues("x-origin-action").Single());
        Assert.Equal(body, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal("\"" + Md5(body) + "\"", second.Headers.ETag!.Tag);
        Assert.Equal("image/png", second.Content.Headers.ContentType!.ToString());
        Assert.Equal("max-age=60", second.Headers.CacheControl!.ToString());
        Assert.Equal("blue", second.Headers.GetValues("x-cos-meta-color").Single());
        Assert.Equal("L", second.Headers.GetValues("x-cos-meta-size").Single());
        Assert.Equal(1, fixture.A.Count("/" + key));
    }

    [Fact]
    public async Task Head_NeverPulls()
    {
        var key = Unique("m/");
        fixture.A.Serve("/" + key, RandomBytes(10));

        var head = await HeadAsync(key);

        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal("miss", head.Headers.GetValues("x-origin-action").Single());
        Assert.Equal(0, fixture.A.Count("/" + key));
    }

    [Fact]
    public async Task Herd_HundredConcurrentMisses_OneOriginRequest_EveryClientGetsTheWholeBody()
    {
        var key = Unique("slow/", "herd.bin");
        var body = RandomBytes(2 * 1024 * 1024);
        fixture.Slow.ServeSlowly("/" + key, body, chunk: 128 * 1024, delay: TimeSpan.FromMilliseconds(40));

        var clients = Enumerable.Range(0, 100).Select(async _ =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
            return await client.GetByteArrayAsync(fixture.Url(key));
        });
        var bodies = await Task.WhenAll(clients);

        Assert.All(bodies, b => Assert.Equal(Md5(body), Md5(b)));
        Assert.Equal(1, fixture.Slow.Count("/" + key));
        Assert.Equal("hit", (await HeadAsync(key)).Headers.GetValues("x-origin-action").Single());
    }

    [Fact]
    public async Task Bytes_ReachTheClientBeforeTheOriginFinishes()
    {
        var key = Unique("slow/");
        var release = new TaskCompletionSource();
        var firstHalf = RandomBytes(100_000);
        var secondHalf = RandomBytes(100_000);
        fixture.Slow.On("/" + key, async context =>
        {
            context.Response.ContentLength = firstHalf.Length + secondHalf.Length;
            await context.Response.Body.WriteAsync(firstHalf);
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.Body.WriteAsync(secondHalf);
        });

        using var response = await Gateway.Client.GetAsync(fixture.Url(key), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var received = new byte[firstHalf.Length];
        await stream.ReadExactlyAsync(received).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(firstHalf, received);

        release.SetResult();
        var rest = new byte[secondHalf.Length];
        await stream.ReadExactlyAsync(rest);
        Assert.Equal(secondHalf, rest);
    }

    /// <summary>
    /// A client writes the key while a fill started by a miss is still receiving the origin's body (a migration tool
    /// uploading the object a reader just asked for): the fill's clients get the origin's bytes whole, and the client's
    /// object is kept — the fill commits only into a key that still has none, and counts itself Superseded.
    /// Mirror (the shared fill) and Proxy (the tee into the store) alike.
    /// </summary>
    [Theory]
    [InlineData("slow/")]
    [InlineData("slowp/")]
    public async Task AClientsPutWhileAFillArrives_IsKept_AndTheFillsClientGetsTheOriginsBytes(string prefix)
    {
        var key = Unique(prefix);
        var origin = RandomBytes(200_000);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Slow.On("/" + key, context => SlowOrigin.SendInTwoAsync(context, origin, started, release.Task));
        var supersededBefore = await SupersededAsync();

        var reading = Gateway.Client.GetByteArrayAsync(fixture.Url(key));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var mine = RandomBytes(1000);
        using (var put = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, fixture.Url(key)) { Content = CosSigner.Bytes(mine) }.Sign()))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        release.SetResult();

        Assert.Equal(origin, await reading.WaitAsync(TimeSpan.FromSeconds(20)));
        await OneMoreSupersededAsync(supersededBefore);
        Assert.Equal(mine, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
        Assert.Equal(1, fixture.Slow.Count("/" + key));
    }

    /// <summary>
    /// A ranged GET of a Proxy miss gets its range passed through, and the whole object is stored by a background task
    /// that fetches it again. A client's PUT that lands while that task receives the body is kept: the task commits only
    /// into a key that is still empty, and counts itself Superseded.
    /// </summary>
    [Fact]
    public async Task AClientsPutWhileAProxysBackgroundStoreArrives_IsKept()
    {
        var key = Unique("slowp/");
        var origin = RandomBytes(200_000);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Slow.On("/" + key, async context =>
        {
            if (context.Request.Headers.Range.ToString() == "bytes=0-9")
            {
                context.Response.StatusCode = 206;
                context.Response.Headers.ContentRange = $"bytes 0-9/{origin.Length}";
                context.Response.ContentLength = 10;
                await context.Response.Body.WriteAsync(origin.AsMemory(0, 10));
                return;
            }
            // The background store's whole fetch: half now, the rest once the client has written.
            await SlowOrigin.SendInTwoAsync(context, origin, started, release.Task);
        });
        var supersededBefore = await SupersededAsync();

        using (var ranged = new HttpRequestMessage(HttpMethod.Get, fixture.Url(key)))
        {
            ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
            using var partial = await Gateway.Client.SendAsync(ranged);
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
            Assert.Equal(origin.AsMemory(0, 10).ToArray(), await partial.Content.ReadAsByteArrayAsync());
        }
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var mine = RandomBytes(1000);
        using (var put = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, fixture.Url(key)) { Content = CosSigner.Bytes(mine) }.Sign()))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        release.SetResult();

        await OneMoreSupersededAsync(supersededBefore);
        Assert.Equal(mine, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
        Assert.Equal(2, fixture.Slow.Count("/" + key));
    }

    /// <summary>Fills (and stores) refused because the key got an object while they ran: <c>commits_rejected_total{reason="Superseded"}</c>.</summary>
    private async Task<double> SupersededAsync() =>
        PrometheusText.Sum(await Gateway.Client.GetStringAsync(new Uri(Gateway.ControlUrl, "metrics")), "origin_gateway_commits_rejected_total{", "reason=\"Superseded\"");

    /// <summary>Waits (boundedly) until one more fill than <paramref name="before"/> counted itself Superseded.</summary>
    private async Task OneMoreSupersededAsync(double before)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await SupersededAsync() <= before && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }
        Assert.Equal(before + 1, await SupersededAsync());
    }

    [Fact]
    public async Task ClientThatLeaves_DoesNotStopTheFill()
    {
        var key = Unique("slow/");
        var body = RandomBytes(1024 * 1024);
        fixture.Slow.ServeSlowly("/" + key, body, chunk: 64 * 1024, delay: TimeSpan.FromMilliseconds(30));

        using (var response = await Gateway.Client.GetAsync(fixture.Url(key), HttpCompletionOption.ResponseHeadersRead))
        {
            var stream = await response.Content.ReadAsStreamAsync();
            await stream.ReadExactlyAsync(new byte[1000]);
        }

        await fixture.WaitForHitAsync(key);
        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
        Assert.Equal(1, fixture.Slow.Count("/" + key));
    }

    [Fact]
    public async Task OriginNotFound_IsNoSuchKey_AndIsRemembered()
    {
        var key = Unique("m/");

        var first = await GetAsync(key);
        // The origin's 404 was asked for once — at the HTTP level a request may reach it twice (the client
        // resends a request whose pooled connection the origin closed) — and the second miss asks nothing.
        var asked = fixture.A.Count("/" + key);
        var second = await GetAsync(key);

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Contains("<Code>NoSuchKey</Code>", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("mirror", first.Headers.GetValues("x-origin-action").Single());
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.InRange(asked, 1, 2);
        Assert.Equal(asked, fixture.A.Count("/" + key));
    }

    [Fact]
    public async Task ServerError_FailsOverToTheStandby()
    {
        var key = Unique("fo/");
        var body = RandomBytes(5000);
        fixture.A.Status("/" + key, 503, "busy");
        fixture.B.Serve("/" + key, body);

        var response = await GetAsync(key);

        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, fixture.A.Count("/" + key));
        Assert.Equal(1, fixture.B.Count("/" + key));
    }

    [Fact]
    public async Task NotFound_FailsOverOnlyWhenListedInHttpStandbyCode()
    {
        var listed = Unique("fo4/");
        fixture.B.Serve("/" + listed, "from standby"u8.ToArray());
        Assert.Equal("from standby", await (await GetAsync(listed)).Content.ReadAsStringAsync());

        var unlisted = Unique("fo/");
        fixture.B.Serve("/" + unlisted, "never asked"u8.ToArray());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(unlisted)).StatusCode);
        Assert.Equal(0, fixture.B.Count("/" + unlisted));
    }

    [Fact]
    public async Task EveryCandidateFailing_Is424OriginPullFailed()
    {
        var key = Unique("fo/");
        fixture.A.Status("/" + key, 500);
        fixture.B.Status("/" + key, 502);

        var response = await GetAsync(key);

        Assert.Equal((HttpStatusCode)424, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>OriginPullFailed</Code>", text, StringComparison.Ordinal);
        Assert.Contains("OriginError", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableOrigin_Is424NamingTheReason()
    {
        var response = await GetAsync(Unique("dead/"));

        Assert.Equal((HttpStatusCode)424, response.StatusCode);
        Assert.Contains("OriginUnavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransparentErrorCode_PassesTheOriginStatusAndBody()
    {
        var key = Unique("te/");
        fixture.A.Status("/" + key, 503, "origin says busy");

        var response = await GetAsync(key);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("origin says busy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Redirects_AreFollowed_AndTheFinalObjectStoredUnderTheRequestedKey()
    {
        var key = Unique("m/");
        var body = RandomBytes(3000);
        fixture.A.Redirect("/" + key, $"http://{fixture.A.Host}/hop1/{key}");
        fixture.A.Redirect($"/hop1/{key}", $"/hop2/{key}", 301);
        fixture.A.Serve($"/hop2/{key}", body);

        var response = await GetAsync(key);

        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("hit", (await HeadAsync(key)).Headers.GetValues("x-origin-action").Single());
    }

    [Fact]
    public async Task FollowRedirectionFalse_PassesTheRedirectThrough()
    {
        var key = Unique("nf/");
        fixture.A.Redirect("/" + key, "https://elsewhere.example.com/x", 301);

        var response = await GetAsync(key);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("https://elsewhere.example.com/x", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(key)).StatusCode);
    }

    [Fact]
    public async Task HttpRedirectCodes_OnAMirrorRule_AreTheOnlyRedirectsFollowed()
    {
        var followed = Unique("f301/");
        fixture.A.Redirect("/" + followed, $"/moved/{followed}", 301);
        fixture.A.Serve($"/moved/{followed}", "followed"u8.ToArray());
        Assert.Equal("followed", await (await GetAsync(followed)).Content.ReadAsStringAsync());

        var passed = Unique("f301/");
        fixture.A.Redirect("/" + passed, "https://elsewhere.example.com/y", 302);
        var response = await GetAsync(passed);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("https://elsewhere.example.com/y", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(passed)).StatusCode);
    }

    [Fact]
    public async Task RuleAimedAtTheGatewaysOwnListener_EndsAtOnce()
    {
        var response = await GetAsync(Unique("self/")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((HttpStatusCode)424, response.StatusCode);
        Assert.Contains("EgressDenied", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Via_MoreThanThreeHops_IsLoopDetected()
    {
        var response = await GetAsync(Unique("m/"), r => r.Headers.TryAddWithoutValidation("Via", "1.1 origin-gateway, 1.1 origin-gateway, 1.1 origin-gateway, 1.1 origin-gateway"));

        Assert.Equal((HttpStatusCode)508, response.StatusCode);
        Assert.Contains("<Code>LoopDetected</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Via_MarkedRequest_NeverJoinsAFillInFlight()
    {
        var key = Unique("slow/");
        fixture.Slow.ServeSlowly("/" + key, RandomBytes(500_000), chunk: 50_000, delay: TimeSpan.FromMilliseconds(100));
        using var first = await Gateway.Client.GetAsync(fixture.Url(key), HttpCompletionOption.ResponseHeadersRead);

        var looped = await GetAsync(key, r => r.Headers.TryAddWithoutValidation("Via", "1.1 origin-gateway")).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal((HttpStatusCode)508, looped.StatusCode);
        Assert.Equal(500_000, (await first.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task OriginRequest_CarriesTheRuleHeaders_AndTheRewrittenPath()
    {
        var key = Unique("hdr/");
        fixture.A.Serve("/" + key, "h"u8.ToArray());
        var pre = Unique("pre/", "name");
        var preOrigin = "/origin-files/" + pre["pre/".Length..] + ".bin";
        fixture.A.Serve(preOrigin, "p"u8.ToArray());

        await GetAsync(key + "?a=1&b=%20", r =>
        {
            r.Headers.Referrer = new Uri("https://site.example/");
            r.Headers.TryAddWithoutValidation("Cookie", "session=1");
        });
        Assert.Equal("p", await (await GetAsync(pre)).Content.ReadAsStringAsync());

        var hit = fixture.A.Hits("/" + key).Single();
        Assert.Equal($"/{key}?a=1&b=%20", hit.PathAndQuery);
        Assert.Equal("https://site.example/", hit.Headers["Referer"]);
        Assert.Equal("csv", hit.Headers["x-cos-ContentType"]);
        Assert.Contains("origin-gateway", hit.Headers["Via"], StringComparison.Ordinal);
        Assert.False(hit.Headers.ContainsKey("Cookie"));
        Assert.Equal(1, fixture.A.Count(preOrigin));
    }

    [Fact]
    public async Task RangedMiss_IsAnsweredAtOnce_AndOnePinnedFullFillStoresTheObject()
    {
        var key = Unique("m/");
        var body = RandomBytes(300_000);
        fixture.A.Serve("/" + key, body);

        var response = await GetAsync(key, r => r.Headers.TryAddWithoutValidation("Range", "bytes=1000-1999"));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(body[1000..2000], await response.Content.ReadAsByteArrayAsync());
        await fixture.WaitForHitAsync(key);
        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
        var hits = fixture.A.Hits("/" + key);
        Assert.Equal(2, hits.Count);
        Assert.Contains(hits, h => h.Headers.TryGetValue("If-Match", out var tag) && tag == "\"v1-300000\"");
    }

    /// <summary>
    /// A ranged GET far ahead of a fill in flight (a player reading the index at the end of a video the fill has barely
    /// begun, a download manager's later parts) is answered at once from a ranged origin request pinned If-Match to the
    /// fill's version, not after the fill reaches it (spec 01 §Mirror 5). When the origin's answer is of another version,
    /// the client waits for the fill's bytes instead: never bytes of two versions. The fill goes on and stores the object.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ARangeFarAheadOfAFillInFlight_IsAskedOfTheOriginPinnedToItsVersion_OrWaitsForTheFill(bool sameVersion)
    {
        var key = Unique("slow/");
        var body = RandomBytes(6_000_000);
        const string version = "\"slow-v1\"";
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ranges = new System.Collections.Concurrent.ConcurrentQueue<string>();
        fixture.Slow.On("/" + key, async context =>
        {
            context.Response.Headers.ETag = version;
            if (context.Request.Headers.Range.ToString() is { Length: > 0 } range)
            {
                // bytes=a-b, answered as the version asked for when it is the one on file, else as a newer one.
                ranges.Enqueue($"{range} If-Match: {context.Request.Headers.IfMatch}");
                var bounds = range["bytes=".Length..].Split('-').Select(int.Parse).ToArray();
                context.Response.StatusCode = 206;
                context.Response.Headers.ContentRange = $"bytes {bounds[0]}-{bounds[1]}/{body.Length}";
                if (!sameVersion)
                {
                    context.Response.Headers.ETag = "\"slow-v2\"";
                }
                context.Response.ContentLength = bounds[1] - bounds[0] + 1;
                await context.Response.Body.WriteAsync(body.AsMemory(bounds[0], bounds[1] - bounds[0] + 1));
                return;
            }
            await SlowOrigin.SendInTwoAsync(context, body, started, release.Task);
        });

        var reading = Gateway.Client.GetByteArrayAsync(fixture.Url(key));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var ranged = GetAsync(key, r => r.Headers.TryAddWithoutValidation("Range", "bytes=5000000-5099999"));
        if (sameVersion)
        {
            // Answered while the fill is held at its first 50,000 bytes.
            using var response = await ranged.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal("bytes 5000000-5099999/6000000", response.Content.Headers.ContentRange!.ToString());
            Assert.Equal(body[5_000_000..5_100_000], await response.Content.ReadAsByteArrayAsync().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.False(reading.IsCompleted);
            release.SetResult();
        }
        else
        {
            // The other version's answer is dropped: the client gets its range once the fill has it.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (ranges.IsEmpty && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            await Task.Delay(200);
            Assert.False(ranged.IsCompleted, "a range of another version was sent on");
            release.SetResult();
            using var response = await ranged.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(body[5_000_000..5_100_000], await response.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(body, await reading.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal($"bytes=5000000-5099999 If-Match: {version}", Assert.Single(ranges));
        Assert.Equal(2, fixture.Slow.Count("/" + key));
        await fixture.WaitForHitAsync(key);
        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
    }

    // --- origin answers that lie (03-security.md §3.3): the fault catalogue (OriginFaultCatalogueTests), and these ---

    [Fact]
    public async Task RightContentMd5_IsStored()
    {
        var key = Unique("m/");
        var body = RandomBytes(50_000);
        fixture.A.Serve("/" + key, body, "application/octet-stream", ("Content-MD5", Convert.ToBase64String(MD5.HashData(body))));

        Assert.Equal(body, await (await GetAsync(key)).Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await HeadAsync(key)).StatusCode);
    }

    [Fact]
    public async Task BytesAfterContentLength_AreNotPartOfTheObject()
    {
        var key = Unique("raw/");
        fixture.Raw.Reply("/" + key, "HTTP/1.1 200 OK\nContent-Length: 5\nConnection: close", "helloEXTRA"u8.ToArray());

        Assert.Equal("hello", await (await GetAsync(key)).Content.ReadAsStringAsync());
        await fixture.WaitForHitAsync(key);
        Assert.Equal("hello", await (await GetAsync(key)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task KeyWithDotSegments_ReachesTheOriginLiterally_AndIsStoredUnderItself()
    {
        var prefix = Unique("raw/", "");
        fixture.Raw.Reply($"/{prefix}a/../b", "HTTP/1.1 200 OK\nContent-Length: 4\nConnection: close", "dots"u8.ToArray());

        var first = await RawHttp.SendAsync(Gateway.DataPort, "GET", $"/{prefix}a/../b");
        var second = await RawHttp.SendAsync(Gateway.DataPort, "GET", $"/{prefix}a/../b");

        Assert.Equal("dots", first.Text);
        Assert.Equal("hit", second.Headers["x-origin-action"]);
        Assert.Equal(1, fixture.Raw.Count($"/{prefix}a/../b"));
    }
}
