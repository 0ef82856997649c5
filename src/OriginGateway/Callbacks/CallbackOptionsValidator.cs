using Microsoft.Extensions.Hosting;
using OriginGateway.Configuration;

namespace OriginGateway.Callbacks;

/// <summary>Checks the Callbacks settings at start: every problem, each naming its setting.</summary>
internal sealed class CallbackOptionsValidator(IHostEnvironment environment) : SettingsValidator<CallbackOptions>
{
    protected override void Check(CallbackOptions options, List<string> problems)
    {
        if (options.MaxAttempts is < 1 or > 100)
        {
            problems.Add("Callbacks:MaxAttempts must be 1..100.");
        }
        Range(problems, options.RetryBase, "Callbacks:RetryBase", TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(problems, options.RetryCap, "Callbacks:RetryCap", options.RetryBase, TimeSpan.FromDays(1));
        Range(problems, options.Timeout, "Callbacks:Timeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
            if (options.Secret.Length > 0 && environment.IsProduction() && options.Secret == CallbackOptions.DevelopmentSecret)
        {
            problems.Add("Callbacks:Secret is the published development secret, which is refused in Production.");
        }
    }
}
