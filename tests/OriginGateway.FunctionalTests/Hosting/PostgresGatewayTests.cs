using System.Net;
using System.Text;
using Npgsql;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>The gateway on a real PostgreSQL control database: configuration and tasks live there, across restarts and data directories.</summary>
public sealed class PostgresGatewayTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Gateway_OnPostgres_KeepsRulesAndTasks_InTheSharedDatabase()
    {
        await using var origin = WireMockOrigin.Start();
        origin.Serve("/pg/a.txt", Encoding.UTF8.GetBytes("pulled while on PostgreSQL"), "text/plain");
        var connectionString = postgres.NewDatabase();
        string[] settings = ["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString}", "--Egress:AllowedNetworks:0=127.0.0.1/32"];

        string taskId;
        await using (var first = await GatewayProcess.StartAsync(settings))
        {
            Assert.Equal(HttpStatusCode.OK, (await first.Client.GetAsync(new Uri(first.ControlUrl, "readyz"))).StatusCode);
            var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host));
            Assert.Equal(HttpStatusCode.OK, (await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(first.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
            var tasks = new FetchTaskClient(first);
            taskId = (await tasks.SubmitAsync(new { Url = $"http://{origin.Host}/pg/a.txt", Key = "pg/a.txt" })).TaskId;
            Assert.Equal("TASK_SUCCESS", (await tasks.WaitAsync(taskId)).State);
        }

        // Another process with another data directory: the rules and the task's record come from PostgreSQL.
        await using var second = await GatewayProcess.StartAsync(settings);
        var status = await new FetchTaskClient(second).GetAsync(taskId);
        Assert.Equal("TASK_SUCCESS", status.State);
        var get = await second.Client.GetAsync(new Uri(second.DataUrl, "m/fresh.txt"));
        Assert.Equal("mirror", get.Headers.GetValues("x-origin-action").Single());
    }

    [Fact]
    public async Task AServerThatTakesNoWrites_StillStartsTheGateway_WhichServesObjects_NamesItInReadiness_AndWritesOnceItCanAgain()
    {
        // A standby, or default_transaction_read_only (set by an operator, or by a managed server whose storage is nearly
        // full). Before, a replica restarted meanwhile did not start ("cannot execute CREATE TABLE in a read-only
        // transaction": the migrations' bookkeeping table was created IF NOT EXISTS, a write), and a running one said Healthy.
        var connectionString = postgres.NewDatabase();
        string[] settings = ["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString}"];
        var data = TestPaths.NewTempDirectory("og-pg-readonly");
        await using (var first = await GatewayProcess.StartAsync(settings, dataDirectory: data))
        {
            var put = await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(first.DataUrl, "kept.txt")) { Content = new StringContent("stored before") }.Sign());
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        async Task ReadOnlyAsync(bool on)
        {
            await using var admin = new NpgsqlConnection(connectionString);
            await admin.OpenAsync();
            foreach (var sql in new[] { $"ALTER SYSTEM SET default_transaction_read_only = {(on ? "on" : "off")}", "SELECT pg_reload_conf()" })
            {
                await using var command = admin.CreateCommand();
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync();
            }
        }
        async Task<(HttpStatusCode Status, string Body)> ReadinessAsync(GatewayProcess gateway, HttpStatusCode until)
        {
            for (var i = 0; ; i++)
            {
                var answer = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
                var body = await answer.Content.ReadAsStringAsync();
                if (answer.StatusCode == until || i == 100)
                {
                    return (answer.StatusCode, body);
                }
                await Task.Delay(100);
            }
        }

        await ReadOnlyAsync(true);
        try
        {
            await using var second = await GatewayProcess.StartAsync(settings, dataDirectory: data);
            Assert.Equal("stored before", await second.Client.GetStringAsync(new Uri(second.DataUrl, "kept.txt")));
            var (status, body) = await ReadinessAsync(second, HttpStatusCode.ServiceUnavailable);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("database: Unhealthy — control database: the server takes no writes (transaction_read_only is on", body, StringComparison.Ordinal);
            var cors = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
            var refused = await second.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(second.DataUrl, "?cors")) { Content = new StringContent(cors) }.Sign());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

            await ReadOnlyAsync(false);
            Assert.Equal(HttpStatusCode.OK, (await ReadinessAsync(second, HttpStatusCode.OK)).Status);
            var stored = await second.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(second.DataUrl, "?cors")) { Content = new StringContent(cors) }.Sign());
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }
        finally
        {
            await ReadOnlyAsync(false);
        }
    }
}
