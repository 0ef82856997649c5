namespace OriginGateway.Persistence;

/// <summary>
/// The control database's schema history. Append new steps; never edit an applied one.
/// </summary>
internal static class ControlDatabaseMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "origin_configurations", """
            CREATE TABLE origin_configurations (
                bucket      TEXT NOT NULL PRIMARY KEY,
                document    TEXT NOT NULL,
                source      TEXT NOT NULL,
                updated_at  TEXT NOT NULL
            );
            """),
    ];
}
