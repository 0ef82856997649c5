using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// Download managers against the Mirror, driven as their users drive them: aria2 (Debian's) splits a large file over
/// several connections, each asking for its own byte range once the first answer told it the length — on a key that is
/// not stored yet, while the one fill of that key is still arriving from the origin: the ranges the fill is far from are
/// asked of the origin pinned to the fill's version, and no part is ever of another version. And a media player — Chromium's
/// audio element — seeking near the end of a long recording whose fill has barely begun.
/// </summary>
public sealed class DownloadToolsTests(OriginPullFixture fixture) : IClassFixture<OriginPullFixture>
{
    [Fact]
    public async Task Aria2_SplitsAColdKeyOverEightConnections_TheFillsFarPartsFromPinnedOriginRanges_ThenTheStoredObject()
    {
        var aria2 = ExternalTool.Require("aria2c", "aria2");
        var key = $"slow/{Guid.NewGuid():N}/movie.bin";
        var body = RandomNumberGenerator.GetBytes(16 << 20);
        // 256 KiB every 20 ms (about 1.3 s in all): the ranged connections arrive long before the fill has their bytes.
        const string version = "\"movie-v1\"";
        fixture.Slow.ServeSlowly("/" + key, body, 256 << 10, TimeSpan.FromMilliseconds(20), etag: version);
        var work = TestPaths.NewTempDirectory("og-aria2");

        async Task<string> DownloadAsync(string name)
        {
            var log = Path.Combine(work, name + ".log");
            var (exit, stdout, stderr) = await ExternalTool.RunAsync(aria2,
            [
                "--max-connection-per-server=8", "--split=8", "--min-split-size=1M", "--file-allocation=none", "--summary-interval=0",
                "--console-log-level=warn", $"--log={log}", "--log-level=info", "--dir", work, "--out", name, fixture.Url(key).ToString(),
            ]);
            var trace = await File.ReadAllTextAsync(log);
            Assert.True(exit == 0, $"aria2c exited {exit}: {stderr}{stdout}\n{trace}");
            Assert.Equal(SHA256.HashData(body), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(work, name))));
            // It did split: ranged requests on connections of their own, answered 206 with their range.
            Assert.Contains("Range: bytes=", trace, StringComparison.Ordinal);
            Assert.Contains("HTTP/1.1 206 Partial Content", trace, StringComparison.Ordinal);
            return trace;
        }

        var cold = await DownloadAsync("cold.bin");
        Assert.Contains("x-origin-action: mirror", cold, StringComparison.Ordinal);
        // One fill of the whole object; the parts it had not reached were asked of the origin If-Match its version.
        var ranged = fixture.Slow.Ranged("/" + key);
        Assert.Equal(1, fixture.Slow.Count("/" + key) - ranged.Count);
        Assert.NotEmpty(ranged);
        Assert.All(ranged, r => Assert.Equal(version, r.IfMatch));
        var origin = fixture.Slow.Count("/" + key);

        await fixture.WaitForHitAsync(key);
        var stored = await DownloadAsync("stored.bin");
        Assert.Contains("x-origin-action: hit", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("x-origin-action: mirror", stored, StringComparison.Ordinal);
        Assert.Equal(origin, fixture.Slow.Count("/" + key));
    }

    /// <summary>
    /// A listener opens a 12-minute recording nobody has asked for yet and jumps to its last seconds: Chromium reads the
    /// header, then asks for the range at the new position on a connection of its own. The origin is slow (the fill and
    /// every answer from the start trickle in, 16 KiB every 200 ms, until the test lets them go); the seek completes from a
    /// ranged origin request pinned to the fill's version — waiting for the fill to get there would take minutes. Once the
    /// origin is let go, the fill stores the recording whole.
    /// </summary>
    [Fact]
    public async Task Chromium_SeeksNearTheEndOfAColdRecording_WhileItsFillTrickles_FromAPinnedRange()
    {
        NodeScript.RequirePackage("playwright-core");
        ExternalTool.Require("chromium", "chromium");
        var key = $"slow/{Guid.NewGuid():N}/talk.wav";
        var body = Wave(seconds: 750, sampleRate: 8000);
        const string version = "\"talk-v1\"";
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Slow.On("/" + key, async context =>
        {
            var response = context.Response;
            response.Headers.ETag = version;
            response.Headers.AcceptRanges = "bytes";
            response.ContentType = "audio/wav";
            var (from, to) = (0, body.Length - 1);
            if (context.Request.Headers.Range.ToString() is { Length: > 6 } range)
            {
                var bounds = range[6..].Split('-');
                from = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
                to = bounds[1].Length == 0 ? body.Length - 1 : int.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture);
                response.StatusCode = 206;
                response.Headers.ContentRange = $"bytes {from}-{to}/{body.Length}";
            }
            response.ContentLength = to - from + 1;
            var offset = from;
            // From the start: a trickle (within the gateway's body idle timeout) until released; anywhere else: at once.
            while (from == 0 && !release.Task.IsCompleted && offset <= to)
            {
                var count = Math.Min(16 * 1024, to + 1 - offset);
                await response.Body.WriteAsync(body.AsMemory(offset, count));
                await response.Body.FlushAsync();
                offset += count;
                await Task.WhenAny(release.Task, Task.Delay(200));
            }
            await response.Body.WriteAsync(body.AsMemory(offset, to + 1 - offset));
        });

        try
        {
            var (exit, stdout, stderr) = await NodeScript.RunAsync("media-seek-check.js", fixture.Url(key).ToString(), "10", "30000");
            Assert.True(exit == 0, $"{stderr}{stdout}\norigin ranges: {string.Join("; ", fixture.Slow.Ranged("/" + key))}");
            using var result = System.Text.Json.JsonDocument.Parse(stdout);
            Assert.Equal(750, result.RootElement.GetProperty("duration").GetDouble(), 1);
            Assert.InRange(result.RootElement.GetProperty("position").GetDouble(), 739, 741);
        }
        finally
        {
            release.TrySetResult();
        }
        // The seek's bytes came from a range asked of the origin near the end, If-Match the fill's version.
        var ranged = fixture.Slow.Ranged("/" + key);
        Assert.Contains(ranged, r => r.IfMatch == version && long.Parse(r.Range[6..].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture) > body.Length - 20 * 16000);
        await fixture.WaitForHitAsync(key);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(await fixture.Gateway.Client.GetByteArrayAsync(fixture.Url(key))));
    }

    /// <summary>A WAV file of 16-bit mono PCM: a quiet tone, <paramref name="seconds"/> long.</summary>
    private static byte[] Wave(int seconds, int sampleRate)
    {
        var samples = seconds * sampleRate;
        var wave = new byte[44 + samples * 2];
        var header = new BinaryWriter(new MemoryStream(wave));
        header.Write("RIFF"u8);
        header.Write(36 + samples * 2);
        header.Write("WAVEfmt "u8);
        header.Write(16);
        header.Write((short)1);
        header.Write((short)1);
        header.Write(sampleRate);
        header.Write(sampleRate * 2);
        header.Write((short)2);
        header.Write((short)16);
        header.Write("data"u8);
        header.Write(samples * 2);
        for (var i = 0; i < samples; i++)
        {
            BitConverter.TryWriteBytes(wave.AsSpan(44 + i * 2), (short)(1000 * Math.Sin(i * 2 * Math.PI * 440 / sampleRate)));
        }
        return wave;
    }
}
