using System.Net;
using System.Text;
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
}
