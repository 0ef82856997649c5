using OriginGateway.Configuration;

namespace OriginGateway.Tasks;

/// <summary>Checks the Tasks settings at start: every problem, each naming its setting.</summary>
internal sealed class TaskOptionsValidator : SettingsValidator<TaskOptions>
{
    protected override void Check(TaskOptions options, List<string> problems)
    {
        if (options.Workers is < 1 or > 256)
        {
            problems.Add("Tasks:Workers must be 1..256.");
        }
        if (options.PerHostLimit < 1)
        {
            problems.Add("Tasks:PerHostLimit must be at least 1.");
        }
        if (options.MaxAttempts is < 1 or > 100)
        {
            problems.Add("Tasks:MaxAttempts must be 1..100.");
        }
        Range(problems, options.Lease, "Tasks:Lease", TimeSpan.FromSeconds(3), TimeSpan.FromHours(1));
        Range(problems, options.RetryBase, "Tasks:RetryBase", TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(problems, options.RetryCap, "Tasks:RetryCap", options.RetryBase, TimeSpan.FromDays(1));
        Range(problems, options.Retention, "Tasks:Retention", TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650));
        Range(problems, options.PollInterval, "Tasks:PollInterval", TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
    }
}
