using System.CommandLine;

namespace OriginGateway.Hosting;

/// <summary>
/// The command line (<c>04-operations.md</c> §4.5). <c>--Section:Key=value</c> tokens, before or
/// after a sub-command, are configuration: they are taken out before parsing and passed on.
/// </summary>
internal static class GatewayCommandLine
{
    private static readonly HashSet<string> CliOptions = new(StringComparer.Ordinal)
    {
        "--help", "--version", "--scheme", "--query", "--header",
        "--gateway", "--bucket", "--secret-id", "--secret-key", "--url", "--key", "--md5", "--on-key-exist", "--success-callback-url", "--failure-callback-url",
        "--presign", "--expires",
    };

    public static async Task<int> RunAsync(string[] args)
    {
        using var console = BufferedConsole.Install();
        return await RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var (commandArgs, configurationArgs) = Split(args);

        var root = new RootCommand("""
            OriginGateway: the front door of object-storage buckets, with COS origin-pull rules.

            Without a command it serves (same as 'serve'). Any setting can be given as
            --Section:Key=value, e.g. --Endpoints:Data=http://127.0.0.1:9000 --DataDirectory=/srv/og

            Examples:
              OriginGateway                                   serve with appsettings.json
              OriginGateway rules validate my-rules.xml       check a rule file offline
              OriginGateway rules explain my-rules.xml img/a.jpg
              OriginGateway tasks submit --url https://example.com/a.jpg --key img/a.jpg
              OriginGateway tasks status <taskid>
              OriginGateway sign PUT http://127.0.0.1:8080/a.txt     an Authorization value for curl
            """);

        var serve = new Command("serve", "Run the gateway (the default). Settings: --Section:Key=value.");
        serve.SetAction((_, _) => GatewayHost.RunAsync(configurationArgs, output, error));
        root.SetAction((_, _) => GatewayHost.RunAsync(configurationArgs, output, error));
        root.Subcommands.Add(serve);

        root.Subcommands.Add(Rules.RulesCli.Create(output, error));
        root.Subcommands.Add(FetchTasks.FetchTaskCli.Create(output, error));
        root.Subcommands.Add(Security.SignCli.Create(output, error));

        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        var parsed = root.Parse(commandArgs);
        if (parsed.Errors.Count > 0)
        {
            // Bad arguments exit with 2, as the README's table says (the parser's own default is 1).
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync(problem.Message).ConfigureAwait(false);
            }
            await error.WriteLineAsync($"See '{string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? ["OriginGateway"] : ["OriginGateway", .. CommandPath(parsed.CommandResult)])} --help'.").ConfigureAwait(false);
            return 2;
        }
        return await parsed.InvokeAsync(configuration).ConfigureAwait(false);
    }

    internal static (string[] Command, string[] Configuration) Split(string[] args)
    {
        var command = new List<string>();
        var configuration = new List<string>();
        foreach (var arg in args)
        {
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2 && !CliOptions.Contains(arg[..eq]))
            {
                configuration.Add(arg);
            }
            else
            {
                command.Add(arg);
            }
        }
        return (command.ToArray(), configuration.ToArray());
    }

    private static List<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var current = result; current is not null && current.Parent is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, current.Command.Name);
        }
        return names;
    }
}
