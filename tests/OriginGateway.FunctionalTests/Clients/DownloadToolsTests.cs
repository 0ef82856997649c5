using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// Download managers against the Mirror, driven as their users drive them: aria2 (Debian's) splits a large file over
/// several connections, each asking for its own byte range once the first answer told it the length — on a key that is
/// not stored yet, while the one fill of that key is still arriving from the origin: the ranges the fill is far from are
/// asked of the origin pinned to the fill's version, and no part is ever of another version.
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
}
