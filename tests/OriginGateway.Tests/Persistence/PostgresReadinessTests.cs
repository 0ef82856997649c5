using Npgsql;

namespace OriginGateway.Tests.Persistence;

/// <summary>
/// Readiness of a PostgreSQL control database that answers reads and refuses writes — a standby, or a server set to
/// <c>default_transaction_read_only</c>. Before, its <c>SELECT 1</c> said Healthy while every API that writes answered 503.
/// </summary>
public sealed class PostgresReadinessTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task ADatabaseThatTakesNoWrites_IsNotReady_AndIsAgainOnceItDoes()
    {
        var connectionString = postgres.NewDatabase();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        using var database = PostgresFixture.Open(connectionString);
        Assert.Null(await database.PingAsync(CancellationToken.None));

        // As an operator or a managed service sets it: for the whole server, sessions already open included (this class has
        // the cluster to itself).
        async Task<string?> SetReadOnlyAsync(bool on)
        {
            await using (var admin = new NpgsqlConnection(connectionString))
            {
                await admin.OpenAsync();
                foreach (var sql in new[] { $"ALTER SYSTEM SET default_transaction_read_only = {(on ? "on" : "off")}", "SELECT pg_reload_conf()" })
                {
                    await using var command = admin.CreateCommand();
                    command.CommandText = sql;
                    await command.ExecuteNonQueryAsync();
                }
            }
            // The server's processes take the new configuration when signalled: wait until the pinged session has it.
            string? problem = null;
            for (var i = 0; i < 100 && (problem is null) == on; i++)
            {
                await Task.Delay(50);
                problem = await database.PingAsync(CancellationToken.None);
            }
            return problem;
        }

        Assert.Equal("control database: the server takes no writes (transaction_read_only is on: a standby, or default_transaction_read_only)",
            await SetReadOnlyAsync(true));
        Assert.Null(await SetReadOnlyAsync(false));
    }
}
