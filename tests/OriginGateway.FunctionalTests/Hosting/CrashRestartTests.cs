using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// <c>kill -9</c> in the middle of everything that writes — 100 concurrent Mirror fills, streaming PUTs,
/// a multipart upload and fetch tasks — five times over on one data directory: after every restart no
/// partial or corrupt object is readable, what the killed process left in staging is gone, and the
/// queued tasks finish.
/// </summary>
public sealed class CrashRestartTests(ITestOutputHelper output)
{
    private const int Rounds = 5;
    private const int Fills = 100;
    private const int Puts = 10;
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task KillNine_DuringFillsPutsMultipartAndTasks_FiveTimes_LeavesOnlyWholeObjects()
    {
        await using var origin = WireMockOrigin.Start();
        await using var slow = await SlowOrigin.StartAsync();
        string[] settings = ["--Egress:AllowedNetworks:0=127.0.0.1/32", "--Tasks:PollInterval=00:00:00.100", "--Tasks:Lease=00:00:03"];
        // What each key may hold, if it holds anything.
        var expected = new Dictionary<string, byte[]>();
        var taskIds = new List<string>();
        string? dataDirectory = null;
        // Stopped processes are disposed at the end: disposing one removes the data directory they share.
        var stopped = new List<GatewayProcess>();
        // Staging files the killed process left (resumed tasks may start new ones at once after a restart).
        var leftovers = new List<string>();
        try
        {
        for (var round = 0; round < Rounds; round++)
        {
            var gateway = await GatewayProcess.StartAsync(settings, dataDirectory: dataDirectory);
            stopped.Add(gateway);
            dataDirectory = gateway.DataDirectory;
            try
            {
                if (round == 0)
                {
                    var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host), OriginPullFixture.Rule(2, "Mirror", "s/", slow.Host));
                    Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
                }
                await VerifyAsync(gateway, expected, round, leftovers);

                // Everything that writes, at once.
                var work = new List<Task>();
                for (var i = 0; i < Fills; i++)
                {
                    // Half arrive at once (committed before the kill), half slowly (cut by it).
                    var slowly = i % 2 == 1;
                    var key = $"{(slowly ? "s" : "m")}/r{round}/{i:D3}.bin";
                    var body = RandomNumberGenerator.GetBytes(200_000 + (i * 997));
                    expected[key] = body;
                    if (slowly)
                    {
                        slow.ServeSlowly("/" + key, body, 32 * 1024, TimeSpan.FromMilliseconds(150));
                    }
                    else
                    {
                        origin.Serve("/" + key, body);
                    }
                    work.Add(Swallow(gateway.Client.GetByteArrayAsync(new Uri(gateway.DataUrl, key))));
                }
                for (var i = 0; i < Puts; i++)
                {
                    var key = $"put/r{round}/{i}.bin";
                    var body = RandomNumberGenerator.GetBytes(600_000);
                    expected[key] = body;
                    HttpContent content = i % 2 == 0 ? new ByteArrayContent(body) : new SlowContent(body);
                    var put = new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, key)) { Content = content }.Sign();
                    work.Add(Swallow(gateway.Client.SendAsync(put)));
                }
                var mpuKey = $"mpu/r{round}.bin";
                var parts = new[] { RandomNumberGenerator.GetBytes(MiB + 5), RandomNumberGenerator.GetBytes(700_000) };
                expected[mpuKey] = [.. parts[0], .. parts[1]];
                work.Add(Swallow(MultipartAsync(gateway, mpuKey, parts)));
                var tasks = new FetchTaskClient(gateway);
                for (var i = 0; i < 5; i++)
                {
                    var key = $"task/r{round}/{i}.bin";
                    var body = RandomNumberGenerator.GetBytes(300_000);
                    expected[key] = body;
                    slow.ServeSlowly($"/t/r{round}/{i}", body, 32 * 1024, TimeSpan.FromMilliseconds(200));
                    taskIds.Add((await tasks.SubmitAsync(new { Url = $"{slow.Host}/t/r{round}/{i}", Key = key })).TaskId);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(900));
            }
            finally
            {
                // kill -9: no shutdown of any kind.
                await gateway.StopAsync();
                leftovers = [.. TestPaths.StagingFiles(gateway.DataDirectory, GatewayProcess.DefaultBucket)];
            }
        }

        // The last restart: every object whole or absent, and every task finished.
        var last = await GatewayProcess.StartAsync(settings, dataDirectory: dataDirectory);
        stopped.Add(last);
        await VerifyAsync(last, expected, Rounds, leftovers);
        var status = new FetchTaskClient(last);
        foreach (var id in taskIds)
        {
            Assert.Equal("TASK_SUCCESS", (await status.WaitAsync(id)).State);
        }
        await VerifyAsync(last, expected, Rounds, leftovers);
        }
        finally
        {
            foreach (var gateway in stopped)
            {
                await gateway.DisposeAsync();
            }
        }
    }

    /// <summary>Every key is absent or holds exactly its body; nothing the killed process staged is left.</summary>
    private async Task VerifyAsync(GatewayProcess gateway, Dictionary<string, byte[]> expected, int round, List<string> leftovers)
    {
        Assert.DoesNotContain(leftovers, File.Exists);
        var whole = 0;
        foreach (var (key, body) in expected)
        {
            // HEAD never pulls; a stored object is then read as a hit.
            var head = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, key)).Sign());
            if (head.StatusCode == HttpStatusCode.NotFound)
            {
                continue;
            }
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            var get = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, key)).Sign());
            var bytes = await get.Content.ReadAsByteArrayAsync();
            Assert.True(bytes.AsSpan().SequenceEqual(body), $"{key} is readable but not whole ({bytes.Length} of {body.Length} bytes)");
            whole++;
        }
        output.WriteLine($"after restart {round}: {whole} of {expected.Count} keys stored, all whole; {leftovers.Count} staging leftovers of the killed process swept");
        Assert.True(round == 0 || whole > 0, "nothing survived a restart: the test did not exercise committed objects");
    }

    private static async Task MultipartAsync(GatewayProcess gateway, string key, byte[][] parts)
    {
        var url = new Uri(gateway.DataUrl, key);
        var initiated = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(url + "?uploads")).Sign());
        var uploadId = System.Text.RegularExpressions.Regex.Match(await initiated.Content.ReadAsStringAsync(), "<UploadId>([^<]+)</UploadId>").Groups[1].Value;
        var etags = new List<string>();
        for (var i = 0; i < parts.Length; i++)
        {
            var part = new HttpRequestMessage(HttpMethod.Put, new Uri($"{url}?partNumber={i + 1}&uploadId={uploadId}")) { Content = new SlowContent(parts[i]) }.Sign();
            etags.Add((await gateway.Client.SendAsync(part)).Headers.ETag!.Tag);
        }
        var complete = "<CompleteMultipartUpload>" + string.Concat(etags.Select((e, i) => $"<Part><PartNumber>{i + 1}</PartNumber><ETag>{e}</ETag></Part>")) + "</CompleteMultipartUpload>";
        await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri($"{url}?uploadId={uploadId}")) { Content = new StringContent(complete) }.Sign());
    }

    /// <summary>The process dies under these: whatever they end with is not the test's concern.</summary>
    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or NullReferenceException)
        {
        }
    }

    /// <summary>A body sent in 64 KiB pieces 100 ms apart, with its length declared up front.</summary>
    private sealed class SlowContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < body.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(64 * 1024, body.Length - offset)));
                await stream.FlushAsync();
                await Task.Delay(100);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
