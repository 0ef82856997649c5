using System.Diagnostics;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>Runs a script from <c>tests/node</c> (whose packages the test command installs with <c>npm ci</c>).</summary>
internal static class NodeScript
{
    public static string Directory => Path.Combine(TestPaths.RepositoryRoot, "tests", "node");

    public static void RequirePackage(string package)
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", package)))
        {
            throw new InvalidOperationException(
                $"The npm package '{package}' is not installed in {Directory}. Run the README's test command (./test.sh), which runs 'npm ci' there.");
        }
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within 2 minutes");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
