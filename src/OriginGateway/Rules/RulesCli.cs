using System.CommandLine;

namespace OriginGateway.Rules;

/// <summary>
/// <c>OriginGateway rules validate &lt;file&gt;</c> and <c>rules explain &lt;file&gt; &lt;key&gt;</c>: origin-rule files
/// checked and explained offline, with the same parser and explanation as <c>PUT ?origin</c> and <c>?origin-explain</c>.
/// </summary>
internal static class RulesCli
{
    public static Command Create(TextWriter output, TextWriter error)
    {
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
        return new Command("rules", "Work with origin-rule files offline.") { validate, explain };
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
}
