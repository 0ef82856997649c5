using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OriginGateway.Persistence;

namespace OriginGateway.Tests.Persistence;

/// <summary>
/// Which failures of the control database are an outage — the gateway starts all the same and waits for it — and which
/// say it is set up wrong, which stop the start. Each from a real failure of a real server or file where one can be had here.
/// </summary>
public sealed class ControlDatabaseOutageTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Postgres_NoServerOnThePort_IsAnOutage_ADatabaseThatDoesNotExist_IsNot()
    {
        using var nobody = new ControlDatabase(DatabaseProvider.Postgres, $"Host=127.0.0.1;Port={TestPorts.Free()};Username=og;Database=og", NullLogger<ControlDatabase>.Instance, TimeSpan.FromSeconds(2));
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => nobody.MigrateAsync(ControlDatabaseMigrations.All));
        Assert.True(nobody.IsOutage(refused), refused.ToString());

        var missing = new NpgsqlConnectionStringBuilder(postgres.NewDatabase()) { Database = "og_never_created" }.ConnectionString;
        using var misnamed = PostgresFixture.Open(missing);
        var noDatabase = await Assert.ThrowsAnyAsync<DbException>(() => misnamed.MigrateAsync(ControlDatabaseMigrations.All));
        Assert.Contains("3D000", noDatabase.Message, StringComparison.Ordinal);
        Assert.False(misnamed.IsOutage(noDatabase));
    }

    [Theory]
    [InlineData("57P03", true)] // the server is starting up (or shutting down)
    [InlineData("53300", true)] // too many connections
    [InlineData("57P01", true)] // an administrator's shutdown
    [InlineData("08006", true)] // connection failure
    [InlineData("28P01", false)] // the password was refused
    [InlineData("28000", false)] // no such role, or pg_hba refuses it
    [InlineData("42501", false)] // a privilege the migrations need is missing
    public void Postgres_ServerErrors_ByTheirState(string sqlState, bool outage)
    {
        using var database = PostgresFixture.Open(postgres.NewDatabase());
        Assert.Equal(outage, database.IsOutage(new PostgresException("as the server says it", "FATAL", "FATAL", sqlState)));
    }

    [Fact]
    public async Task Sqlite_AFileAnotherProcessHoldsLocked_IsAnOutage_AFileThatCannotBeOpened_IsNot()
    {
        var path = SqliteTestFile.NewPath();
        try
        {
            // A file not yet migrated (a database whose schema is current is only read, which WAL lets through a lock).
            await using var holder = new SqliteConnection($"Data Source={path};Pooling=False");
            await holder.OpenAsync();
            await using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "CREATE TABLE other (x INTEGER); BEGIN EXCLUSIVE";
                await begin.ExecuteNonQueryAsync();
            }
            using var locked = new ControlDatabase(DatabaseProvider.Sqlite, $"Data Source={path}", NullLogger<ControlDatabase>.Instance, TimeSpan.FromSeconds(1));
            var busy = await Assert.ThrowsAnyAsync<DbException>(() => locked.MigrateAsync(ControlDatabaseMigrations.All));
            Assert.True(locked.IsOutage(busy), busy.ToString());
        }
        finally
        {
            SqliteTestFile.Delete(path);
        }

        // A directory where the file should be: SQLITE_CANTOPEN, which waiting does not mend.
        var directory = Directory.CreateTempSubdirectory("og-db-dir").FullName;
        try
        {
            using var unopenable = new ControlDatabase($"Data Source={directory}", NullLogger<ControlDatabase>.Instance);
            var cannotOpen = await Assert.ThrowsAnyAsync<DbException>(() => unopenable.MigrateAsync(ControlDatabaseMigrations.All));
            Assert.False(unopenable.IsOutage(cannotOpen), cannotOpen.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
