using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Origins;
using OriginGateway.Storage;

namespace OriginGateway.Benchmarks;

/// <summary>
/// What the filesystem store's in-memory index holds for one object: N objects written as an origin pull writes them
/// (the origin's ETag, Last-Modified and Content-Type, the gateway's provenance metadata), then the same directory
/// opened by a new store (the index a restart builds from the records on disk). Prints the managed bytes still
/// reachable after a full collection, per object, for both. Run:
/// <c>dotnet run -c Release --project bench/OriginGateway.Benchmarks -- index-memory [N]</c>.
/// </summary>
internal static class IndexMemoryProbe
{
    public static async Task<int> RunAsync(int count)
    {
        var root = Directory.CreateTempSubdirectory("og-index-memory-").FullName;
        try
        {
            var body = new byte[1024];
            Random.Shared.NextBytes(body);
            var baseline = Settled();
            var store = new FileSystemObjectStore(root, false, TimeProvider.System, NullLogger.Instance);
            for (var i = 0; i < count; i++)
            {
                // Keys and URLs as the benchmark's cold1k makes them.
                var key = $"fast/r179641372539-cold1k-1/1k/{i + 1:D6}.bin";
                using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
                response.Headers.ETag = new EntityTagHeaderValue($"\"6571a2c1-{i:x3}\"");
                response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                response.Content.Headers.LastModified = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + i);
                var write = OriginResponseRules.Write(response, new Uri("http://127.0.0.1:18080/" + key), DateTimeOffset.UtcNow, long.MaxValue);
                using var session = store.BeginWrite(key, write);
                await session.WriteAsync(body, CancellationToken.None);
                if ((await session.CommitAsync(CancellationToken.None)).Status != ObjectWriteStatus.Committed)
                {
                    throw new InvalidOperationException($"{key} was not committed");
                }
            }
            var committed = Settled() - baseline;
            Console.WriteLine($"index after {count} commits: {committed / count} B per object ({committed / 1048576.0:F1} MiB)");
            GC.KeepAlive(store);
            store = null;

            baseline = Settled();
            var reopened = new FileSystemObjectStore(root, false, TimeProvider.System, NullLogger.Instance);
            var loaded = Settled() - baseline;
            Console.WriteLine($"index loaded from disk ({reopened.Count} objects): {loaded / reopened.Count} B per object ({loaded / 1048576.0:F1} MiB)");
            GC.KeepAlive(reopened);
            return reopened.Count == count ? 0 : 1;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
