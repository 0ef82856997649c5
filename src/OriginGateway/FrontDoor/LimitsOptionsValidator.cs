using OriginGateway.Configuration;

namespace OriginGateway.FrontDoor;

/// <summary>Checks the Limits settings at start.</summary>
internal sealed class LimitsOptionsValidator : SettingsValidator<LimitsOptions>
{
    protected override void Check(LimitsOptions options, List<string> problems)
    {
        if (options.MaxPutSize <= 0)
        {
            problems.Add("Limits:MaxPutSize must be a positive number of bytes.");
        }
        if (options.MaxConcurrentRequests < 1)
        {
            problems.Add("Limits:MaxConcurrentRequests must be at least 1 when set.");
        }
        Range(problems, options.SlowAnswerKeepAlive, "Limits:SlowAnswerKeepAlive", TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(30));
    }
}
