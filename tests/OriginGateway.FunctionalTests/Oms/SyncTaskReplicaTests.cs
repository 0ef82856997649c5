using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Hosting;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Oms;

/// <summary>
/// Sync tasks across replicas sharing PostgreSQL, Redis and an S3 server (<c>02-tasks.md</c> §2.5): the replica that
/// holds a task's keys owns it; another replica starting (scaling out) leaves it running; the owner's loss stops it,
/// it runs again wherever it is started with its keys, and a replica that shuts down stops its tasks on the way out.
/// </summary>
public sealed class SyncTaskReplicaTests
{
    private const string Project = "proj-r";
    private const string Token = "oms-token-for-replica-tests";

    [Fact]
    public async Task ATaskOwnedByA_KeepsRunningWhenAReplicaStarts_StopsWhenAIsLost_AndRunsAgainWhereStarted()
    {
        await using var set = ReplicaSet.With($"--Oms:Tokens:{Project}={Token}");
        await set.InitializeAsync();
        var prefix = $"src{Guid.NewGuid():N}/";
        var one = RandomNumberGenerator.GetBytes(4_000);
        await set.S3.PutAsync(ReplicaSet.S3Bucket, prefix + "one.bin", one);

        var (status, created) = await CallAsync(set.A, HttpMethod.Post, "", new
        {
            src_cloud_type = "AWS",
            src_endpoint = set.S3.Endpoint,
            src_region = "us-east-1",
            src_bucket = ReplicaSet.S3Bucket,
            src_prefix = prefix,
            src_ak = S3Server.AccessKey,
            src_sk = S3Server.SecretKey,
            dst_bucket = GatewayProcess.DefaultBucket,
            dst_prefix = "synced/",
            dst_ak = GatewayProcess.DevSecretId,
            dst_sk = GatewayProcess.DevSecretKey,
            sync_interval = 1,
        });
        Assert.True(status == HttpStatusCode.OK, created.ToString());
        var id = created.GetProperty("id").GetString()!;
        await WaitAsync(set.B, id, t => t.GetProperty("object_synchronized_num").GetInt64() == 1);

        // Scaling out: a third replica starts, on a host whose clock runs two minutes ahead (libfaketime preloaded). A's task
        // is not stopped by it — it once read A's hold, written by A's clock, as run out and stopped the task — and A's
        // passes go on.
        await using var c = await set.StartReplicaAsync(new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = ExternalTool.RequireAt("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "faketime"),
            ["FAKETIME"] = "+2m",
            ["DONT_FAKE_MONOTONIC"] = "1",
        });
        var seen = await WaitAsync(c, id, _ => true);
        Assert.Equal("SYNCHRONIZING", seen.GetProperty("status").GetString());
        await set.S3.PutAsync(ReplicaSet.S3Bucket, prefix + "two.bin", RandomNumberGenerator.GetBytes(5_000));
        var after = await WaitAsync(c, id, t => t.GetProperty("object_synchronized_num").GetInt64() == 2);
        Assert.Equal("SYNCHRONIZING", after.GetProperty("status").GetString());

        // A is lost (killed): its keys are gone with it, and once its hold runs out the task is stopped.
        await set.A.StopAsync();
        await WaitAsync(set.B, id, t => t.GetProperty("status").GetString() == "STOPPED");
        var three = RandomNumberGenerator.GetBytes(6_000);
        await set.S3.PutAsync(ReplicaSet.S3Bucket, prefix + "three.bin", three);

        // Started again with its keys through B, it runs on B.
        var start = new { src_ak = S3Server.AccessKey, src_sk = S3Server.SecretKey, dst_ak = GatewayProcess.DevSecretId, dst_sk = GatewayProcess.DevSecretKey };
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(set.B, HttpMethod.Post, $"/{id}/start", start)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(set.B, HttpMethod.Post, $"/{id}/start", start)).Status);
        await WaitAsync(set.B, id, t => t.GetProperty("object_synchronized_num").GetInt64() == 3);
        var copied = await set.B.Client.GetAsync(new Uri(set.B.DataUrl, $"synced/three.bin"));
        Assert.Equal(HttpStatusCode.OK, copied.StatusCode);
        Assert.Equal(three, await copied.Content.ReadAsByteArrayAsync());

        // B shuts down in order: its keys go, and it stops its tasks on the way out rather than leaving them to its hold.
        Assert.Equal(0, await set.B.TerminateAsync(TimeSpan.FromSeconds(30)));
        var (_, afterShutdown) = await CallAsync(c, HttpMethod.Get, "/" + id);
        Assert.Equal("STOPPED", afterShutdown.GetProperty("status").GetString());
    }

    private static async Task<(HttpStatusCode Status, JsonElement Json)> CallAsync(GatewayProcess gateway, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(gateway.ControlUrl, $"v2/{Project}/sync-tasks{path}"));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }
        request.Headers.TryAddWithoutValidation("X-Auth-Token", Token);
        using var response = await gateway.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    private static async Task<JsonElement> WaitAsync(GatewayProcess gateway, string id, Func<JsonElement, bool> until)
    {
        // A liveness bound, not a timing threshold: the hold lasts 4 s in the set.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var (status, json) = await CallAsync(gateway, HttpMethod.Get, "/" + id);
            Assert.True(status == HttpStatusCode.OK, json.ToString());
            if (until(json))
            {
                return json;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"sync task {id}: {json}\n{gateway.Output}");
            }
            await Task.Delay(100);
        }
    }
}
