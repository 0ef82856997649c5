namespace OriginGateway.Tests;

/// <summary>A SQLite control database file of one test, removed with its WAL files afterwards.</summary>
internal static class SqliteTestFile
{
    public static string NewPath() => Path.Combine(Path.GetTempPath(), "og-db-" + Guid.NewGuid().ToString("N") + ".db");

    public static void Delete(string path)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
