using OriginGateway.Configuration;

namespace OriginGateway.Multipart;

/// <summary>Checks the Multipart settings at start: every problem, each naming its setting.</summary>
internal sealed class MultipartOptionsValidator : SettingsValidator<MultipartOptions>
{
    protected override void Check(MultipartOptions options, List<string> problems)
    {
        Range(problems, options.AbandonAfter, "Multipart:AbandonAfter", TimeSpan.FromSeconds(1), TimeSpan.FromDays(3650));
        Range(problems, options.SweepInterval, "Multipart:SweepInterval", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
    }
}
