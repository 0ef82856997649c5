using OriginGateway.Configuration;

namespace OriginGateway.Persistence;

/// <summary>The control database (<c>Database</c> section).</summary>
public sealed class DatabaseOptions : ISettingsSection<DatabaseOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, DatabaseOptions target) => section.Bind(target);

    /// <summary>The provider named by <see cref="Provider"/> (call it after the options were validated).</summary>
    internal DatabaseProvider ProviderKind => Enum.Parse<DatabaseProvider>(Provider, ignoreCase: true);

    /// <summary><c>Sqlite</c> (default; one process) or <c>Postgres</c> (several replicas share it).</summary>
    public string Provider { get; set; } = nameof(DatabaseProvider.Sqlite);

    /// <summary>Connection string; empty = <c>Data Source={DataDirectory}/control.db</c> (SQLite). PostgreSQL: an Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The deadline of every database call: connecting and each command (PostgreSQL's <c>Timeout</c> and
    /// <c>Command Timeout</c>, SQLite's busy timeout). A frozen database fails a call after this, never hangs it.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The control database's engines (<c>Database:Provider</c>).</summary>
internal enum DatabaseProvider
{
    Sqlite,
    Postgres,
}
