using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// The Dockerfile, without a Docker engine: its build stage's files are copied as its <c>COPY</c> lines
/// say, its <c>dotnet publish</c> line runs on them, and the output starts as its runtime stage starts it
/// (its <c>ENTRYPOINT</c>, Production, the image's environment, nothing else) until <c>/healthz</c> answers.
/// </summary>
public sealed partial class ContainerTests
{
    [Fact]
    public async Task DockerfilePublish_ThenStartLikeTheImage_AnswersHealthz()
    {
        var root = TestPaths.RepositoryRoot;
        var dockerfile = await File.ReadAllLinesAsync(Path.Combine(root, "Dockerfile"));
        var work = TestPaths.NewTempDirectory("og-container");
        try
        {
            // Build stage: COPY <sources…> <destination> relative to WORKDIR /src.
            var buildStage = dockerfile.TakeWhile(l => !l.StartsWith("FROM", StringComparison.Ordinal) || l.Contains(" AS build", StringComparison.Ordinal)).ToList();
            var source = Path.Combine(work, "src-root");
            foreach (var copy in buildStage.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
            {
                var parts = copy[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var destination = Path.GetFullPath(Path.Combine(source, parts[^1]));
                foreach (var item in parts[..^1])
                {
                    var from = Path.Combine(root, item);
                    if (Directory.Exists(from))
                    {
                        CopyTree(from, destination);
                    }
                    else
                    {
                        Directory.CreateDirectory(destination);
                        File.Copy(from, Path.Combine(destination, Path.GetFileName(from)));
                    }
                }
            }
            var publishLine = buildStage.Single(l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal));
            var output = Path.Combine(work, "app");
            var publishArguments = publishLine["RUN dotnet ".Length..].Replace(" -o /app", " -o " + output, StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var (publishExit, publishOut, publishErr) = await RunAsync("dotnet", publishArguments, source, TimeSpan.FromMinutes(15));
            Assert.True(publishExit == 0, $"dotnet {string.Join(' ', publishArguments)} failed:\n{publishOut}\n{publishErr}");
            Assert.True(File.Exists(Path.Combine(output, "appsettings.json")));
            // The image carries what runs, not the native compiler's separate debug symbols (hundreds of MiB).
            Assert.Empty(Directory.GetFiles(output, "*.dbg"));

            // Runtime stage: the ENV lines, with the ports moved off 8080/8081 so parallel tests do not collide, and the
            // ENTRYPOINT, its /app (the WORKDIR) being the publish output here.
            var runtimeStage = dockerfile.SkipWhile(l => !l.Contains(" AS runtime", StringComparison.Ordinal)).ToList();
            var environment = EnvLines().Matches(string.Join('\n', runtimeStage))
                .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            var entrypoint = JsonSerializer.Deserialize<string[]>(runtimeStage.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal))["ENTRYPOINT ".Length..])!;
            var program = entrypoint[0].StartsWith("./", StringComparison.Ordinal) ? Path.Combine(output, entrypoint[0][2..])
                : entrypoint[0].StartsWith("/app/", StringComparison.Ordinal) ? Path.Combine(output, entrypoint[0]["/app/".Length..])
                : entrypoint[0];
            Assert.True(!Path.IsPathRooted(program) || File.Exists(program), $"the ENTRYPOINT's {entrypoint[0]} is not in the publish output");
            Assert.Equal("Production", environment["DOTNET_ENVIRONMENT"]);
            var (data, control) = (TestPorts.Free(), TestPorts.Free());
            environment["Endpoints__Data"] = $"http://127.0.0.1:{data}";
            environment["Endpoints__Control"] = $"http://127.0.0.1:{control}";
            environment["DataDirectory"] = Path.Combine(work, "data");
            var start = new ProcessStartInfo(program) { WorkingDirectory = output };
            foreach (var argument in entrypoint[1..])
            {
                start.ArgumentList.Add(argument);
            }
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }
            start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
            var process = ChildProcess.Start(start);
            try
            {
                using var client = new HttpClient();
                HttpStatusCode? status = null;
                for (var i = 0; i < 120 && status != HttpStatusCode.OK && !process.Process.HasExited; i++)
                {
                    await Task.Delay(250);
                    try
                    {
                        status = (await client.GetAsync($"http://127.0.0.1:{control}/healthz")).StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                    }
                }
                Assert.True(status == HttpStatusCode.OK, "the published gateway never answered /healthz:\n" + process.Output);
                Assert.True(await WaitForAsync(() => process.Output.Contains("no credentials are configured", StringComparison.Ordinal)), process.Output);
                Assert.Contains("(Production)", process.Output, StringComparison.Ordinal);
                // Production, no settings: the default bucket is not public.
                Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"http://127.0.0.1:{data}/any.txt")).StatusCode);
            }
            finally
            {
                await process.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 50 && !condition(); i++)
        {
            await Task.Delay(100);
        }
        return condition();
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, directory);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or "data"))
            {
                continue;
            }
            Directory.CreateDirectory(Path.Combine(to, relative));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or "data"))
            {
                continue;
            }
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, string[] arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary><c>NAME=value</c> pairs of ENV instructions (one per line or continued with <c>\</c>).</summary>
    [GeneratedRegex(@"(?:ENV\s+|^\s+)([A-Za-z_][A-Za-z0-9_]*)=(\S+?)\s*\\?$", RegexOptions.Multiline)]
    private static partial Regex EnvLines();
}
