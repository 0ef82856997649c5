using System.CommandLine;
using OriginGateway.Rules;

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

        var file = new Argument<FileInfo>("file") { Description = "An OriginConfiguration XML file (COS GET Bucket Origin format)." };
        var validate = new Command("validate", "Check a rule file; prints every error and exits with 1 if there is any.") { file };
        validate.SetAction(result => ValidateRules(result.GetValue(file)!, output, error));
        var explainFile = new Argument<FileInfo>("file") { Description = "An OriginConfiguration XML file." };
        var explainKey = new Argument<string>("key") { Description = "The object key a client asks for." };
        var scheme = new Option<string>("--scheme") { Description = "The client's scheme, for Protocol FOLLOW (http or https).", DefaultValueFactory = _ => "http" };
        var query = new Option<string?>("--query") { Description = "The client's query string, without '?'." };
        var header = new Option<string[]>("--header") { Description = "A client request header, Name:Value (repeatable).", AllowMultipleArgumentsPerToken = false };
        var explain = new Command("explain", "Show which rule a miss of <key> fires, the exact origin URL, the hosts tried and the headers sent — without contacting any origin.")
        {
            explainFile, explainKey, scheme, query, header,
        };
        explain.SetAction(result => ExplainRules(result.GetValue(explainFile)!, result.GetValue(explainKey)!, result.GetValue(scheme)!, result.GetValue(query), result.GetValue(header) ?? [], output, error));
        var rules = new Command("rules", "Work with origin-rule files offline.") { validate, explain };
        root.Subcommands.Add(rules);
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

    private static int ExplainRules(FileInfo file, string key, string scheme, string? query, string[] headers, TextWriter output, TextWriter error)
    {
        if (!file.Exists)
        {
            error.WriteLine($"{file.FullName}: no such file.");
            return 2;
        }
        var result = OriginConfigurationXml.Parse(File.ReadAllBytes(file.FullName));
        if (!result.IsValid)
        {
            error.WriteLine($"{file.Name}: {result.ErrorCode}: {string.Join("; ", result.Errors)}");
            return 1;
        }
        if (scheme is not ("http" or "https"))
        {
            error.WriteLine("--scheme must be http or https.");
            return 2;
        }
        var requestHeaders = new Microsoft.AspNetCore.Http.HeaderDictionary();
        foreach (var h in headers)
        {
            var colon = h.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error.WriteLine($"--header '{h}' is not Name:Value.");
                return 2;
            }
            requestHeaders.Append(h[..colon].Trim(), h[(colon + 1)..].Trim());
        }
        var json = OriginExplanation.Explain(new CompiledRuleSet(result.Configuration), key, scheme, query, requestHeaders);
        output.WriteLine(System.Text.Encoding.UTF8.GetString(json));
        return 0;
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
