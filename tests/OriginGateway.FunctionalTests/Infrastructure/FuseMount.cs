namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A FUSE file system (s3fs, s3backer) run in the foreground as a child process of the test: mounted when
/// <c>/proc/mounts</c> shows it, unmounted with umount — which writes back what it holds — before the process is awaited.
/// </summary>
internal sealed class FuseMount
{
    private FuseMount(ChildProcess child, string mountPoint) => (Child, MountPoint) = (child, mountPoint);

    public ChildProcess Child { get; }

    public string MountPoint { get; }

    /// <summary>Starts <paramref name="program"/> and waits (up to 20 s) until <paramref name="mountPoint"/> is mounted as <paramref name="type"/>.</summary>
    public static async Task<FuseMount> MountAsync(string program, IEnumerable<string> arguments, string mountPoint, string type)
    {
        Assert.True(File.Exists("/dev/fuse"), type + " needs /dev/fuse");
        var start = new System.Diagnostics.ProcessStartInfo(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var child = ChildProcess.Start(start);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(await File.ReadAllTextAsync("/proc/mounts")).Contains($" {mountPoint} {type} ", StringComparison.Ordinal))
        {
            Assert.True(!child.Process.HasExited && DateTime.UtcNow < deadline, $"{type} did not mount: {child.Output}");
            await Task.Delay(100);
        }
        return new FuseMount(child, mountPoint);
    }

    /// <summary>Unmounts, and waits (up to 30 s) for the program to end cleanly.</summary>
    public async Task UnmountAsync()
    {
        var (exit, _, err) = await ExternalTool.RunAsync(ExternalTool.Require("umount", "mount"), [MountPoint]);
        Assert.True(exit == 0, "umount: " + err);
        await Child.Process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.True(Child.Process.ExitCode == 0, "the file system ended with " + Child.Process.ExitCode + ": " + Child.Output);
        await Child.DisposeAsync();
    }
}
