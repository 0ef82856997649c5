using System.Net;
using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Tasks;

/// <summary>
/// Crash safety of the task engine with a real child process: 50 fetch tasks against a slow
/// origin, <c>kill -9</c> in the middle, a restart on the same data directory (<c>02-tasks.md</c> §2.1).
/// </summary>
public sealed class TaskCrashTests
{
    private const int Count = 50;

    [Fact]
    public async Task KilledMidway_EveryTaskSucceedsAfterARestart_ObjectsWhole_NoStagingLeft_NoVisibleSecondCommit()
    {
        await using var origin = await SlowOrigin.StartAsync();
        var bodies = new Dictionary<string, byte[]>();
        for (var i = 0; i < Count; i++)
        {
            var body = RandomNumberGenerator.GetBytes(150_000 + i * 1_000);
            bodies[$"crash/{i:D2}.bin"] = body;
            origin.ServeSlowly($"/slow/{i:D2}", body, 25_000, TimeSpan.FromMilliseconds(60), TimeSpan.FromMilliseconds(20));
        }
        string[] settings =
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            "--Tasks:Workers=6",
            "--Tasks:PerHostLimit=6",
            "--Tasks:PollInterval=00:00:00.05",
        ];

        await using var first = await GatewayProcess.StartAsync(settings);
        var firstTasks = new FetchTaskClient(first);
        var ids = new Dictionary<string, string>();
        for (var i = 0; i < Count; i++)
        {
            var submitted = await firstTasks.SubmitAsync(new { Url = $"{origin.Host}/slow/{i:D2}", Key = $"crash/{i:D2}.bin" });
            Assert.Equal(HttpStatusCode.OK, submitted.Status);
            ids[$"crash/{i:D2}.bin"] = submitted.TaskId;
        }

        // Let some finish and some run, then kill -9 in the middle of fills.
        var states = new Dictionary<string, string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var (key, id) in ids)
            {
                states[key] = (await firstTasks.GetAsync(id)).State;
            }
            if (states.Values.Count(s => s == "TASK_SUCCESS") >= 5 && states.Values.Any(s => s == "TASK_DOING"))
            {
                break;
            }
            await Task.Delay(100);
        }
        var finishedBefore = states.Where(s => s.Value == "TASK_SUCCESS").Select(s => s.Key).ToList();
        var seenBefore = new Dictionary<string, (string ETag, DateTimeOffset? LastModified)>();
        foreach (var key in finishedBefore)
        {
            var head = await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(first.DataUrl, key)));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            seenBefore[key] = (head.Headers.ETag!.Tag, head.Content.Headers.LastModified);
        }
        await first.StopAsync();
        Assert.InRange(finishedBefore.Count, 5, Count - 1);

        // A second later (Last-Modified has whole seconds), the same data directory again.
        await Task.Delay(1100);
        await using var second = await GatewayProcess.StartAsync(settings, dataDirectory: first.DataDirectory);
        var tasks = new FetchTaskClient(second);
        foreach (var (key, id) in ids)
        {
            var done = await tasks.WaitAsync(id);
            Assert.True(done.State == "TASK_SUCCESS", $"{key}: {done.Json}");
        }

        foreach (var (key, body) in bodies)
        {
            var response = await second.Client.GetAsync(new Uri(second.DataUrl, key));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
            if (seenBefore.TryGetValue(key, out var before))
            {
                Assert.Equal(before.ETag, response.Headers.ETag!.Tag);
                Assert.Equal(before.LastModified, response.Content.Headers.LastModified);
            }
        }
        Assert.Empty(TestPaths.StagingFiles(second.DataDirectory, GatewayProcess.DefaultBucket));
        // Tasks finished before the crash were not fetched again.
        foreach (var key in finishedBefore)
        {
            Assert.Equal(1, origin.Count("/slow/" + key[6..8]));
        }
    }
}
