namespace OriginGateway.Persistence;

/// <summary>The control database (<c>Database</c> section).</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>Sqlite</c> (default). <c>Postgres</c> arrives with the scale-out work.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Connection string; empty = <c>Data Source={DataDirectory}/control.db</c>.</summary>
    public string ConnectionString { get; set; } = "";
}
