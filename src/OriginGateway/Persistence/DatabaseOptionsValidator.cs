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
        else if (options.ProviderKind == DatabaseProvider.Postgres && PostgresDataSource.Problem(options.ConnectionString) is { } postgres)
        {
            // Npgsql's own words: they name a keyword or a value, never the password.
            problems.Add($"Database:ConnectionString is not a connection string Npgsql takes: {postgres}");
        }
        else if (options.ProviderKind == DatabaseProvider.Sqlite && options.ConnectionString.Length > 0 && SqliteProblem(options.ConnectionString) is { } sqlite)
        {
            problems.Add($"Database:ConnectionString is not a SQLite connection string: {sqlite}");
        }
        if (options.Timeout < TimeSpan.FromSeconds(1) || options.Timeout > TimeSpan.FromMinutes(5))
        {
            problems.Add($"Database:Timeout {options.Timeout} must be from 1 second to 5 minutes.");
        }
    }

    private static string? SqliteProblem(string connectionString)
    {
        try
        {
            _ = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return e.Message;
        }
    }
}
