using OriginGateway.Configuration;

namespace OriginGateway.Persistence;

/// <summary>Checks the Database settings at start: every problem, each naming its setting.</summary>
internal sealed class DatabaseOptionsValidator : SettingsValidator<DatabaseOptions>
{
    protected override void Check(DatabaseOptions options, List<string> problems)
    {
        if (!IsOneOf<DatabaseProvider>(options.Provider))
        {
            problems.Add($"Database:Provider '{options.Provider}' must be Sqlite or Postgres.");
        }
        else if (options.ProviderKind == DatabaseProvider.Postgres && options.ConnectionString.Length == 0)
        {
            problems.Add("Database:ConnectionString must name the PostgreSQL server when Database:Provider is Postgres (Host=…;Port=…;Database=…;Username=…;Password=…).");
        }
        if (options.Timeout < TimeSpan.FromSeconds(1) || options.Timeout > TimeSpan.FromMinutes(5))
        {
            problems.Add($"Database:Timeout {options.Timeout} must be from 1 second to 5 minutes.");
        }
    }
}
