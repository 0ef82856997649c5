using Microsoft.Extensions.Hosting;
using OriginGateway.Configuration;

namespace OriginGateway.Oms;

/// <summary>Checks the Oms settings at start: project tokens long enough, never the published one in Production; the passes' bound.</summary>
internal sealed class OmsOptionsValidator(IHostEnvironment environment) : SettingsValidator<OmsOptions>
{
    protected override void Check(OmsOptions options, List<string> problems)
    {
        if (options.MaxConcurrentPasses is < 1 or > 64)
        {
            problems.Add("Oms:MaxConcurrentPasses must be 1..64.");
        }
        foreach (var (project, token) in options.Tokens)
        {
            if (string.IsNullOrEmpty(token) || token.Length < 16)
            {
                problems.Add($"Oms:Tokens:{project} must be at least 16 characters.");
            }
            if (environment.IsProduction() && token == OmsOptions.DevelopmentToken)
            {
                problems.Add($"Oms:Tokens:{project} is the published development token, which is refused in Production.");
            }
        }
    }
}
