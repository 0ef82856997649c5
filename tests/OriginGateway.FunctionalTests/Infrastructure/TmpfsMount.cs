namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A small disk of a test's own: a tmpfs mounted on a new temporary directory (root), which a gateway's store can be put
/// on to fill it up or to turn it read-only under the gateway. Unmounted and removed when disposed.
/// </summary>
internal sealed class TmpfsMount : IAsyncDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    /// <param name="prefix">The temporary directory's name prefix.</param>
    /// <param name="size">The tmpfs's size (<c>1m</c>, <c>16m</c>).</param>
    /// <param name="purpose">What the test does with it, for the error when it cannot be mounted.</param>
    public static async Task<TmpfsMount> CreateAsync(string prefix, string size, string purpose)
    {
        var path = TestPaths.NewTempDirectory(prefix);
        var mounted = await ExternalTool.RunAsync("/bin/mount", ["-t", "tmpfs", "-o", "size=" + size, "tmpfs", path]);
        if (mounted.ExitCode != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"This test {purpose} with a tmpfs mount of its own, which needs root: mount said {mounted.Stderr}");
        }
        return new TmpfsMount(path);
    }

    /// <summary>
    /// Remounts it <c>ro</c> or <c>rw</c>. A file the gateway has open for writing at that moment (its readiness probe's)
    /// makes the mount busy, so it is tried again for up to five seconds.
    /// </summary>
    public async Task RemountAsync(string mode)
    {
        (int ExitCode, string Stdout, string Stderr) result = default;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            result = await ExternalTool.RunAsync("/bin/mount", ["-o", "remount," + mode, Path]);
            if (result.ExitCode == 0)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"mount -o remount,{mode} {Path} failed: {result.Stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        await ExternalTool.RunAsync("/bin/umount", ["-l", Path]);
        Directory.Delete(Path, recursive: true);
    }
}
