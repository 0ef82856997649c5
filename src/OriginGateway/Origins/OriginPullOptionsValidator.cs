using OriginGateway.Configuration;

namespace OriginGateway.Origins;

/// <summary>Checks the Origins settings at start: every problem, each naming its setting.</summary>
internal sealed class OriginPullOptionsValidator : SettingsValidator<OriginPullOptions>
{
    protected override void Check(OriginPullOptions options, List<string> problems)
    {
        Range(problems, options.ConnectTimeout, "OriginPull:ConnectTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Range(problems, options.ResponseHeadersTimeout, "OriginPull:ResponseHeadersTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(problems, options.BodyIdleTimeout, "OriginPull:BodyIdleTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(problems, options.NegativeCacheTtl, "OriginPull:NegativeCacheTtl", TimeSpan.Zero, TimeSpan.FromDays(1));
        Range(problems, options.CoolDown, "OriginPull:CoolDown", TimeSpan.Zero, TimeSpan.FromHours(1));
        if (options.MaxRedirects is < 0 or > 20)
        {
            problems.Add("OriginPull:MaxRedirects must be 0..20.");
        }
        if (options.MaxBodyResumes is < 0 or > 20)
        {
            problems.Add("OriginPull:MaxBodyResumes must be 0..20.");
        }
        if (options.FailureThreshold < 1)
        {
            problems.Add("OriginPull:FailureThreshold must be at least 1.");
        }
        if (options.PerHostConcurrency < 1)
        {
            problems.Add("OriginPull:PerHostConcurrency must be at least 1.");
        }
        if (options.MaxObjectSize < 1)
        {
            problems.Add("OriginPull:MaxObjectSize must be a positive number of bytes.");
        }
    }
}
