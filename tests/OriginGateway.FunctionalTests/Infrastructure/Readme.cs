using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>A command block of README.md: the name of its <c>&lt;!-- block: name --&gt;</c> marker, its language and its text.</summary>
internal sealed record ReadmeBlock(string Name, string Language, string Text);

/// <summary>What a README scenario printed: each block's output and exit code, the server's log, ports left open.</summary>
internal sealed record ReadmeRun(IReadOnlyDictionary<string, (int Exit, string Output)> Blocks, string ServerLog, IReadOnlyList<int> PortsLeftOpen, string Transcript)
{
    public string Output(string block)
    {
        Assert.True(Blocks.TryGetValue(block, out var run), $"block '{block}' did not run:\n{Transcript}\n---- server log ----\n{ServerLog}");
        Assert.True(run.Exit == 0, $"block '{block}' exited with {run.Exit}:\n{run.Output}\n---- server log ----\n{ServerLog}");
        return run.Output;
    }
}

/// <summary>
/// README.md as a newcomer uses it: its command blocks, and a copy of the repository (the files git
/// knows, as a fresh clone has them, restored once) in which they run literally — <c>dotnet run</c>
/// included, on the ports the README names. Each scenario runs in a network namespace of its own
/// (<c>unshare --net</c>, root), so those fixed ports never meet anything else on the machine.
/// </summary>
internal static partial class Readme
{
    /// <summary>Every bash/js/sh block of README.md; a block without a name marker fails here.</summary>
    public static IReadOnlyList<ReadmeBlock> Blocks()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md")).Replace("\r", "", StringComparison.Ordinal);
        var blocks = new List<ReadmeBlock>();
        foreach (Match fence in Fence().Matches(text))
        {
            var language = fence.Groups["lang"].Value;
            if (language is not ("bash" or "sh" or "js" or "shell" or "console"))
            {
                continue;
            }
            var before = text[..fence.Index].TrimEnd();
            var marker = Marker().Match(before[(before.LastIndexOf('\n') + 1)..]);
            Assert.True(marker.Success, $"README.md has a {language} block without a <!-- block: name --> marker on the line before it:\n{fence.Value}");
            blocks.Add(new ReadmeBlock(marker.Groups[1].Value, language, fence.Groups["body"].Value));
        }
        return blocks;
    }

    public static ReadmeBlock Block(string name) => Blocks().Single(b => b.Name == name);

    /// <summary>The one block of README.md in <paramref name="language"/> (a configuration shown, not a command: <c>nginx</c>).</summary>
    public static string Fenced(string language)
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md")).Replace("\r", "", StringComparison.Ordinal);
        return Fence().Matches(text).Single(f => f.Groups["lang"].Value == language).Groups["body"].Value;
    }

    /// <summary>A copy of the repository's files (tracked and new, not ignored) with tests/node's packages linked in and the gateway restored.</summary>
    public static async Task<string> CopyRepositoryAsync()
    {
        var copy = TestPaths.NewTempDirectory("og-readme");
        var root = TestPaths.RepositoryRoot;
        var (exit, stdout, stderr) = await ExternalTool.RunAsync("/bin/bash", ["-c",
            $"set -euo pipefail; cd '{root}'; git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C '{copy}'"]);
        Assert.True(exit == 0, $"copying the repository failed (is {root} a git checkout?):\n{stdout}\n{stderr}");
        Directory.CreateSymbolicLink(Path.Combine(copy, "tests", "node", "node_modules"), Path.Combine(root, "tests", "node", "node_modules"));
        // Restoring reaches the package registry, which a newcomer's machine has; the scenarios that
        // follow run without any network but loopback.
        foreach (var project in new[] { Path.Combine(copy, "src", "OriginGateway"), Path.Combine(copy, "samples", "wiremock", "origin") })
        {
            (exit, stdout, stderr) = await ExternalTool.RunAsync("dotnet", ["restore", project, "-v", "q", "-nologo"]);
            Assert.True(exit == 0, $"dotnet restore of {project} in the copy failed:\n{stdout}\n{stderr}");
        }
        return copy;
    }

    /// <summary>
    /// Starts the block <paramref name="server"/> in a fresh network namespace, waits for
    /// <paramref name="ready"/> (an http URL that must answer 2xx, or a line the server prints) while
    /// the server runs, then runs <paramref name="blocks"/> one after the other with bash -euo pipefail
    /// (js blocks with node, resolving packages from tests/node) from the copy's root, then stops the
    /// server with SIGTERM and lists which of <paramref name="ports"/> still answer.
    /// </summary>
    public static async Task<ReadmeRun> RunAsync(string copy, string server, string ready, string[] blocks, int[] ports, IReadOnlyList<string>? harness = null)
    {
        ExternalTool.Require("unshare", "util-linux");
        ExternalTool.Require("ip", "iproute2");
        var dir = TestPaths.NewTempDirectory("og-readme-run");
        await File.WriteAllTextAsync(Path.Combine(dir, "server.sh"), Block(server).Text);
        var script = new StringBuilder();
        script.Append($$"""
            set -u
            ip link set lo up
            cd '{{copy}}'
            dir='{{dir}}'
            setsid bash -e "$dir/server.sh" > "$dir/server.log" 2>&1 &
            server=$!
            ready=0
            for _ in $(seq 1 1200); do
              if ! kill -0 "$server" 2>/dev/null; then echo "@@@ server exited"; break; fi
              if {{(ready.StartsWith("http", StringComparison.Ordinal) ? $"curl -sf -o /dev/null '{ready}'" : $"grep -q '^{ready}' \"$dir/server.log\"")}}; then ready=1; break; fi
              sleep 0.5
            done
            if [ "$ready" = 1 ]; then

            """);
        foreach (var (name, index) in blocks.Select((b, i) => (b, i)))
        {
            var block = Block(name);
            var file = Path.Combine(dir, $"{index}-{name}.{(block.Language == "js" ? "js" : "sh")}");
            await File.WriteAllTextAsync(file, block.Text);
            var run = block.Language == "js" ? $"NODE_PATH='{copy}/tests/node/node_modules' node '{file}'" : $"bash -euo pipefail '{file}'";
            script.Append($"  echo '@@@ block {name}'\n  {run} 2>&1 </dev/null\n  echo \"@@@ exit $?\"\n");
        }
        foreach (var (line, index) in (harness ?? []).Select((l, i) => (l, i)))
        {
            script.Append($"  echo '@@@ block harness-{index}'\n  bash -c '{line.Replace("'", "'\\''", StringComparison.Ordinal)}' 2>&1 </dev/null\n  echo \"@@@ exit $?\"\n");
        }
        script.Append($$"""
            fi
            kill -TERM -- "-$server" 2>/dev/null
            for _ in $(seq 1 60); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
            sleep 1
            for port in {{string.Join(' ', ports)}}; do
              if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "@@@ open $port"; fi
            done
            # Whatever is left of the server's group does not outlive the test.
            kill -KILL -- "-$server" 2>/dev/null
            true

            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "scenario.sh"), script.ToString());

        var start = new ProcessStartInfo("unshare") { WorkingDirectory = copy };
        foreach (var argument in new[] { "--net", "bash", Path.Combine(dir, "scenario.sh") })
        {
            start.ArgumentList.Add(argument);
        }
        await using var process = ChildProcess.Start(start);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(12)))
        {
            await process.Process.WaitForExitAsync(timeout.Token);
        }
        var transcript = process.Output;
        var serverLog = File.Exists(Path.Combine(dir, "server.log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "server.log")) : "";
        Assert.True(process.Process.ExitCode == 0, $"the scenario could not run (unshare --net needs root):\n{transcript}");
        Assert.DoesNotContain("@@@ server exited", transcript, StringComparison.Ordinal);
        var results = new Dictionary<string, (int, string)>();
        foreach (Match section in Section().Matches(transcript))
        {
            results[section.Groups["name"].Value] = (int.Parse(section.Groups["exit"].Value, System.Globalization.CultureInfo.InvariantCulture), section.Groups["output"].Value);
        }
        var open = Regex.Matches(transcript, @"@@@ open (\d+)").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return new ReadmeRun(results, serverLog, open, transcript);
    }

    [GeneratedRegex(@"^```(?<lang>[a-z]*)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"^<!-- block: ([a-z0-9-]+) -->$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"@@@ block (?<name>\S+)\n(?<output>.*?)@@@ exit (?<exit>\d+)", RegexOptions.Singleline)]
    private static partial Regex Section();
}
