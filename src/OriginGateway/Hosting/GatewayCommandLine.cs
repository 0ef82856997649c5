using System.CommandLine;
using OriginGateway.Rules;

namespace OriginGateway.Hosting;

/// <summary>
/// The command line (<c>04-operations.md</c> §4.5). <c>--Section:Key=value</c> tokens, before or
/// after a sub-command, are configuration: they are taken out before parsing and passed on.
/// </summary>
internal static class GatewayCommandLine
{
    private static readonly HashSet<string> CliOptions = new(StringComparer.Ordinal) { "--help", "--version", "--scheme", "--query", "--header" };

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var (commandArgs, configurationArgs) = Split(args);

        var root = new RootCommand("""
            OriginGateway: the front door of object-storage buckets, with COS origin-pull rules.

            Without a command it serves (same as 'serve'). Any setting can be given as
            --Section:Key=value, e.g. --Endpoints:Data=http://127.0.0.1:9000 --DataDirectory=/srv/og
            """);

        var serve = new Command("serve", "Run the gateway (the default). Settings: --Section:Key=value.");
        serve.SetAction((_, _) => GatewayHost.RunAsync(configurationArgs, output, error));
        root.SetAction((_, _) => GatewayHost.RunAsync(configurationArgs, output, error));
        root.Subcommands.Add(serve);

        var file = new Argument<FileInfo>("file") { Description = "An OriginConfiguration XML file (COS GET Bucket Origin format)." };
        var validate = new Command("validate", "Check a rule file; prints every error and exits with 1 if there is any.") { file };
        validate.SetAction(result => ValidateRules(result.GetValue(file)!, output, error));
        var rules = new Command("rules", "Work with origin-rule files offline.") { validate };
        root.Subcommands.Add(rules);

        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return await root.Parse(commandArgs).InvokeAsync(configuration).ConfigureAwait(false);
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

    private static int ValidateRules(FileInfo file, TextWriter output, TextWriter error)
    {
        if (!file.Exists)
        {
            error.WriteLine($"{file.FullName}: no such file.");
            return 2;
        }
        var result = OriginConfigurationXml.Parse(File.ReadAllBytes(file.FullName));
        if (result.IsValid)
        {
            output.WriteLine($"{file.Name}: valid, {result.Configuration!.Rules.Count} rule(s).");
            return 0;
        }
        error.WriteLine($"{file.Name}: {result.ErrorCode}, {result.Errors.Count} error(s):");
        foreach (var problem in result.Errors)
        {
            error.WriteLine("  " + problem);
        }
        return 1;
    }
}
