using System.Text;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary><c>tasks submit|status|cancel</c> from the built program against a running gateway.</summary>
public sealed class TaskCliTests
{
    private static JsonElement Json(string output)
    {
        using var document = JsonDocument.Parse(output.Trim());
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Submit_Status_Cancel_AgainstARunningGateway()
    {
        await using var origin = WireMockOrigin.Start();
        await using var slow = await SlowOrigin.StartAsync();
        origin.Serve("/cli/a.txt", Encoding.UTF8.GetBytes("pulled by the CLI"), "text/plain");
        slow.ServeSlowly("/cli/slow.bin", new byte[4 * 1024 * 1024], 4096, TimeSpan.FromMilliseconds(50));
        await using var gateway = await GatewayProcess.StartAsync();
        var control = gateway.ControlUrl.ToString().TrimEnd('/');

        var (exit, output) = await GatewayProcess.RunToExitAsync(["tasks", "submit", "--gateway", control, "--url", $"http://{origin.Host}/cli/a.txt", "--key", "cli/a.txt"]);
        Assert.True(exit == 0, output);
        var taskId = Json(output).GetProperty("data").GetProperty("taskid").GetString()!;

        var state = "";
        for (var i = 0; i < 100 && state != "TASK_SUCCESS"; i++)
        {
            var (statusExit, statusOutput) = await GatewayProcess.RunToExitAsync(["tasks", "status", taskId, "--gateway", control]);
            Assert.True(statusExit == 0, statusOutput);
            state = Json(statusOutput).GetProperty("data").GetProperty("status").GetString()!;
            await Task.Delay(100);
        }
        Assert.Equal("TASK_SUCCESS", state);
        Assert.Equal("pulled by the CLI", await gateway.Client.GetStringAsync(new Uri(gateway.DataUrl, "cli/a.txt")));

        var (slowExit, slowOutput) = await GatewayProcess.RunToExitAsync(["tasks", "submit", $"--gateway={control}", $"--url=http://{slow.Host}/cli/slow.bin", "--key=cli/slow.bin"]);
        Assert.True(slowExit == 0, slowOutput);
        var slowId = Json(slowOutput).GetProperty("data").GetProperty("taskid").GetString()!;
        var (cancelExit, cancelOutput) = await GatewayProcess.RunToExitAsync(["tasks", "cancel", slowId, "--gateway", control]);
        Assert.True(cancelExit == 0, cancelOutput);
        var (_, cancelled) = await GatewayProcess.RunToExitAsync(["tasks", "status", slowId, "--gateway", control]);
        Assert.Equal("TASK_CANCELLED", Json(cancelled).GetProperty("data").GetProperty("status").GetString());

        // A wrong key is the gateway's JSON error and a non-zero exit; an unreachable gateway says so.
        var (deniedExit, denied) = await GatewayProcess.RunToExitAsync(["tasks", "status", taskId, "--gateway", control, "--secret-key", "wrong"]);
        Assert.Equal(1, deniedExit);
        Assert.Equal("SignatureDoesNotMatch", Json(denied).GetProperty("code").GetString());
        var (downExit, down) = await GatewayProcess.RunToExitAsync(["tasks", "status", taskId, "--gateway", "http://127.0.0.1:1"]);
        Assert.Equal(3, downExit);
        Assert.Contains("Cannot reach the gateway", down, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_NamesEveryCommand()
    {
        var (exit, output) = await GatewayProcess.RunToExitAsync(["--help"]);
        Assert.Equal(0, exit);
        foreach (var command in new[] { "serve", "rules", "tasks" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }
        var (tasksExit, tasksHelp) = await GatewayProcess.RunToExitAsync(["tasks", "submit", "--help"]);
        Assert.Equal(0, tasksExit);
        Assert.Contains("--url", tasksHelp, StringComparison.Ordinal);
        Assert.Contains("--gateway", tasksHelp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_GivesCurlAnAuthorizationValue_AndAPresignedUrl()
    {
        await using var gateway = await GatewayProcess.StartAsync([$"--Buckets:1:Name={GatewayFixture.PrivateBucket}"]);
        var url = new Uri(gateway.DataUrl, $"{GatewayFixture.PrivateBucket}/signed/a.txt");

        var (exit, authorization) = await GatewayProcess.RunToExitAsync(["sign", "PUT", url.ToString()]);
        Assert.True(exit == 0, authorization);
        var put = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent("signed by the CLI") };
        put.Headers.TryAddWithoutValidation("Authorization", authorization.Trim());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await gateway.Client.SendAsync(put)).StatusCode);

        var (presignExit, presigned) = await GatewayProcess.RunToExitAsync(["sign", "GET", url.ToString(), "--presign", "--expires", "60"]);
        Assert.True(presignExit == 0, presigned);
        Assert.Equal("signed by the CLI", await gateway.Client.GetStringAsync(new Uri(presigned.Trim())));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await gateway.Client.GetAsync(url)).StatusCode);

        // A presigned URL is for the method named: a PUT one uploads (it once printed a GET URL whatever the method).
        var (putExit, putUrl) = await GatewayProcess.RunToExitAsync(["sign", "PUT", url.ToString(), "--presign"]);
        Assert.True(putExit == 0, putUrl);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await gateway.Client.PutAsync(new Uri(putUrl.Trim()), new StringContent("uploaded through a presigned URL"))).StatusCode);
        Assert.Equal("uploaded through a presigned URL", await gateway.Client.GetStringAsync(new Uri(presigned.Trim())));

        var (wrongExit, _) = await GatewayProcess.RunToExitAsync(["sign", "GET", "not a url"]);
        Assert.Equal(2, wrongExit);
    }
}
