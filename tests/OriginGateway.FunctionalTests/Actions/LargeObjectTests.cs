using System.Net;
using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Actions;

/// <summary>Streaming is never buffered whole: a 1 GiB object mirrored to 20 concurrent clients.</summary>
public sealed class LargeObjectTests(ITestOutputHelper output)
{
    private const long Size = 1L << 30;
    private const int BlockSize = 1 << 20;

    [Fact]
    public async Task OneGibObject_MirroredToTwentyClients_PeakRssStaysUnder200MiB()
    {
        var block = RandomNumberGenerator.GetBytes(BlockSize);
        string expectedMd5;
        using (var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5))
        {
            for (long i = 0; i < Size / BlockSize; i++)
            {
                md5.AppendData(block);
            }
            expectedMd5 = Convert.ToHexStringLower(md5.GetHashAndReset());
        }

        await using var origin = await SlowOrigin.StartAsync();
        origin.On("/big/1g.bin", async context =>
        {
            context.Response.ContentLength = Size;
            context.Response.ContentType = "application/octet-stream";
            for (long sent = 0; sent < Size; sent += BlockSize)
            {
                await context.Response.Body.WriteAsync(block, context.RequestAborted);
            }
        });
        await using var gateway = await GatewayProcess.StartAsync();
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "big/", origin.Host));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
        var baseline = gateway.PeakRss();

        var clients = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMinutes(5) };
            using var response = await client.GetAsync(new Uri(gateway.DataUrl, "big/1g.bin"), HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[BlockSize];
            long position = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                var offset = (int)(position % BlockSize);
                var first = Math.Min(read, BlockSize - offset);
                Assert.True(buffer.AsSpan(0, first).SequenceEqual(block.AsSpan(offset, first)), $"wrong bytes at {position}");
                if (read > first)
                {
                    Assert.True(buffer.AsSpan(first, read - first).SequenceEqual(block.AsSpan(0, read - first)), $"wrong bytes at {position + first}");
                }
                position += read;
            }
            return position;
        })).ToArray();
        var lengths = await Task.WhenAll(clients);

        var peak = gateway.PeakRss();
        output.WriteLine($"gateway peak RSS: {peak / (1024 * 1024)} MiB (before the transfer: {baseline / (1024 * 1024)} MiB); 20 clients x 1 GiB");
        Assert.All(lengths, l => Assert.Equal(Size, l));
        Assert.Equal(1, origin.Count("/big/1g.bin"));
        var head = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.DataUrl, "big/1g.bin")));
        Assert.Equal("\"" + expectedMd5 + "\"", head.Headers.ETag!.Tag);
        Assert.True(peak < 200L * 1024 * 1024, $"peak RSS {peak / (1024 * 1024)} MiB");
    }
}
