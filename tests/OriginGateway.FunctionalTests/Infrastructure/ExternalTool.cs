using System.Diagnostics;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>Programs the test command installs with apt (promtool, prometheus, chromium): found, or a loud failure saying how to get them.</summary>
internal static class ExternalTool
{
    public static string Require(string program, string aptPackage)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin").Append("/usr/local/bin").Append("/usr/sbin").Append("/sbin"))
        {
            var path = Path.Combine(directory, program);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new InvalidOperationException($"'{program}' is not installed. Run the README's test command (./test.sh), which installs the apt package '{aptPackage}'.");
    }

    /// <summary>A program at the path its Debian package installs it to (never a shim earlier in PATH): found, or a loud failure.</summary>
    public static string RequireAt(string path, string aptPackage) => File.Exists(path) ? path
        : throw new InvalidOperationException($"'{path}' is not installed. Run the README's test command (./test.sh), which installs the apt package '{aptPackage}'.");

    /// <summary>Sends <paramref name="signal"/> (<c>-STOP</c>, <c>-CONT</c>, …) to one process by its id, or fails loudly.</summary>
    public static async Task SignalAsync(int processId, string signal)
    {
        var (exit, _, stderr) = await RunAsync("/bin/kill", [signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (exit != 0)
        {
            throw new InvalidOperationException($"kill {signal} {processId} failed: {stderr}");
        }
    }

    /// <summary>Runs a program to its end (at most 2 minutes), feeding <paramref name="stdin"/>; returns its exit code and output.</summary>
    /// <param name="unset">Variables the program must not see (rclone refuses to start with AWS_CA_BUNDLE set).</param>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string path, IEnumerable<string> arguments, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null, IEnumerable<string>? unset = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        foreach (var name in unset ?? [])
        {
            start.Environment.Remove(name);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + path);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{path} did not finish within 2 minutes");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
