namespace OriginGateway.Persistence;

/// <summary>The control database (<c>Database</c> section).</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>Sqlite</c> (default; one process) or <c>Postgres</c> (several replicas share it).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Connection string; empty = <c>Data Source={DataDirectory}/control.db</c> (SQLite). PostgreSQL: an Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "";
}
