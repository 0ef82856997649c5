using System.Diagnostics;
using System.Net;
using System.Text;
using Npgsql;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>The gateway on a real PostgreSQL control database: configuration and tasks live there, across restarts and data directories.</summary>
public sealed class PostgresGatewayTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
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

    /// <summary>
    /// The server ends the gateway's sessions while they sit idle in its pool — a DBA's <c>pg_terminate_backend</c>, a
    /// pooler or proxy restarted in between: readiness never reads that as an unhealthy database (it read
    /// <c>database: Unhealthy — 57P01: terminating connection due to administrator command</c> for a probe, and a load
    /// balancer that drains on one failed probe drained every replica), and the APIs go on answering.
    /// </summary>
    [Fact]
    public async Task SessionsTheServerEnds_AreNotAnUnhealthyDatabase_AndTheApisGoOn()
    {
        var connectionString = postgres.NewDatabase();
        await using var gateway = await GatewayProcess.StartAsync(["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString}"]);
        var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Redirect", "r/", "cdn.example.com"));
        async Task<HttpStatusCode> PutRulesAsync() =>
            (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode;
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        var unhealthy = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            // Several connections in the pool, then every session of the gateway's database ended at once.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PutRulesAsync()));
            await using (var connection = new NpgsqlConnection(admin.ConnectionString))
            {
                await connection.OpenAsync();
                await using var terminate = new NpgsqlCommand("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", connection);
                output.WriteLine($"round {round}: ended {await terminate.ExecuteScalarAsync()} sessions");
            }
            // Readiness over the next probes (one a second).
            var watching = Stopwatch.StartNew();
            while (watching.Elapsed < TimeSpan.FromSeconds(2.5))
            {
                using var ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"));
                if (ready.StatusCode != HttpStatusCode.OK)
                {
                    unhealthy.Add(await ready.Content.ReadAsStringAsync());
                }
                await Task.Delay(50);
            }
            Assert.Equal(HttpStatusCode.OK, await PutRulesAsync());
        }
        Assert.True(unhealthy.Count == 0, string.Join("\n", unhealthy.Distinct()));
    }

    /// <summary>
    /// PostgreSQL behind PgBouncer in transaction pooling mode (apt <c>pgbouncer</c>; what managed PostgreSQL services and
    /// many operators put in front of it): a session lasts one transaction, so nothing may rely on a session beyond it.
    /// Two replicas start together on an empty database through it — both migrate, one at a time — and share rules and
    /// twenty fetch tasks submitted to both; a third started later finds the schema current.
    /// </summary>
    [Fact]
    public async Task ReplicasBehindPgBouncerInTransactionMode_StartTogether_MigrateOnce_AndShareRulesAndTasks()
    {
        var pgbouncer = ExternalTool.RequireAt("/usr/sbin/pgbouncer", "pgbouncer");
        await using var origin = WireMockOrigin.Start();
        var direct = new Npgsql.NpgsqlConnectionStringBuilder(postgres.NewDatabase());
        var work = TestPaths.NewTempDirectory("og-pgbouncer");
        var port = TestPorts.Free();
        // Two server connections for every client: sessions are handed from one transaction to the next.
        await File.WriteAllTextAsync(Path.Combine(work, "pgbouncer.ini"), $"""
            [databases]
            {direct.Database} = host=127.0.0.1 port={direct.Port} dbname={direct.Database} user={direct.Username}
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = trust
            auth_file = {work}/users.txt
            pool_mode = transaction
            default_pool_size = 2
            max_client_conn = 100
            ignore_startup_parameters = extra_float_digits
            """);
        await File.WriteAllTextAsync(Path.Combine(work, "users.txt"), $"\"{direct.Username}\" \"\"\n");
        var start = new System.Diagnostics.ProcessStartInfo(pgbouncer) { ArgumentList = { Path.Combine(work, "pgbouncer.ini") } };
        if (Environment.UserName == "root")
        {
            // pgbouncer refuses to run as root.
            await ExternalTool.RunAsync("/bin/chown", ["-R", "postgres", work]);
            start = new System.Diagnostics.ProcessStartInfo("/usr/sbin/runuser") { ArgumentList = { "-u", "postgres", "--", pgbouncer, Path.Combine(work, "pgbouncer.ini") } };
        }
        await using var bouncer = ChildProcess.Start(start);
        await bouncer.WaitForPortAsync(port, "pgbouncer");
        var connectionString = $"Host=127.0.0.1;Port={port};Username={direct.Username};Database={direct.Database}";
        string[] settings = ["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString}", "--Egress:AllowedNetworks:0=127.0.0.1/32"];

        var starting = new[] { GatewayProcess.StartAsync(settings), GatewayProcess.StartAsync(settings) };
        GatewayProcess[] replicas;
        try
        {
            replicas = await Task.WhenAll(starting);
        }
        catch
        {
            // One stopped: the other is not left running.
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await (await started).DisposeAsync();
            }
            throw;
        }
        try
        {
            foreach (var replica in replicas)
            {
                using var ready = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"));
                Assert.True(ready.StatusCode == HttpStatusCode.OK, await ready.Content.ReadAsStringAsync() + replica.Output);
            }
            var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "m/", origin.Host));
            Assert.Equal(HttpStatusCode.OK, (await replicas[0].Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(replicas[0].DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
            var submitted = new List<(int Replica, string Id)>();
            for (var i = 0; i < 20; i++)
            {
                var path = $"/pgb/{i}.txt";
                origin.Serve(path, Encoding.UTF8.GetBytes("task " + i), "text/plain");
                submitted.Add((i % 2, (await new FetchTaskClient(replicas[i % 2]).SubmitAsync(new { Url = $"http://{origin.Host}{path}", Key = $"pgb/{i}.txt" })).TaskId));
            }
            foreach (var (replica, id) in submitted)
            {
                Assert.Equal("TASK_SUCCESS", (await new FetchTaskClient(replicas[replica]).WaitAsync(id)).State);
                // Seen from the other replica too: the record is in the shared database.
                Assert.Equal("TASK_SUCCESS", (await new FetchTaskClient(replicas[1 - replica]).GetAsync(id)).State);
            }
            await using var later = await GatewayProcess.StartAsync(settings);
            Assert.Equal(HttpStatusCode.OK, (await later.Client.GetAsync(new Uri(later.ControlUrl, "readyz"))).StatusCode);
            Assert.Equal("mirror", (await later.Client.GetAsync(new Uri(later.DataUrl, "m/fresh.txt"))).Headers.GetValues("x-origin-action").Single());
            Assert.DoesNotContain("Cannot start", string.Concat(replicas.Select(r => r.Output)) + later.Output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }

        // The schema was written once, by one replica at a time.
        await using var check = new Npgsql.NpgsqlConnection(direct.ConnectionString);
        await check.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations", check);
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(reader.GetInt64(1), reader.GetInt64(0));
    }

    [Fact]
    public async Task AReplicaStartedWhileTheDatabaseIsDown_Listens_Answers503_IsNotReady_AndServesOnceItReturns()
    {
        // A rolling restart, or a node lost, while PostgreSQL is down or failing over. Before, such a replica printed "Cannot
        // start: Failed to connect" and exited: under a supervisor it was restarted with a growing back-off (Kubernetes: up to
        // 5 min), so it served nothing for minutes after the database returned.
        await using var origin = WireMockOrigin.Start();
        origin.Serve("/pg/late.txt", Encoding.UTF8.GetBytes("pulled after the database returned"), "text/plain");
        var connectionString = postgres.NewDatabase();
        string[] settings = ["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString}", "--Egress:AllowedNetworks:0=127.0.0.1/32"];
        var data = TestPaths.NewTempDirectory("og-pg-late");
        await using (var first = await GatewayProcess.StartAsync(settings, dataDirectory: data))
        {
            Assert.Equal(HttpStatusCode.OK, (await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(first.DataUrl, "kept.txt")) { Content = new StringContent("stored before") }.Sign())).StatusCode);
            var rules = OriginPullFixture.Rules(OriginPullFixture.Rule(1, "Mirror", "pg/", origin.Host));
            Assert.Equal(HttpStatusCode.OK, (await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(first.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign())).StatusCode);
        }

        postgres.Stop();
        try
        {
            await using var replica = await GatewayProcess.StartAsync(settings, dataDirectory: data);
            // A database name that does not exist is no outage: that replica stops once the server answers.
            await using var misnamed = await GatewayProcess.StartAsync(["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString}_missing"]);
            Assert.True(await replica.WaitForOutputAsync("The control database cannot be reached at start", TimeSpan.FromSeconds(10)), replica.Output);
            Assert.False(replica.HasExited);
            Assert.Equal(HttpStatusCode.OK, (await replica.Client.GetAsync(new Uri(replica.ControlUrl, "healthz"))).StatusCode);
            var readiness = await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"));
            var why = await readiness.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness.StatusCode);
            Assert.Contains("configuration: Unhealthy — the configuration is not loaded yet: Failed to connect", why, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await replica.Client.GetAsync(new Uri(replica.ControlUrl, "metrics"))).StatusCode);

            // Nothing is answered from configuration that is not loaded (a policy, a rule): a retryable 503 in each API's format.
            var hit = await replica.Client.GetAsync(new Uri(replica.DataUrl, "kept.txt"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, hit.StatusCode);
            Assert.Equal("1", hit.Headers.GetValues("Retry-After").Single());
            Assert.Contains("<Code>ServiceUnavailable</Code>", await hit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var submitted = await new FetchTaskClient(replica).SubmitAsync(new { Url = $"http://{origin.Host}/pg/late.txt", Key = "pg/task.txt" });
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "ServiceUnavailable"), (submitted.Status, submitted.Code));

            postgres.Start();
            var back = Stopwatch.StartNew();
            while ((await replica.Client.GetAsync(new Uri(replica.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.OK && back.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(30), "not ready 30 s after the database returned:\n" + replica.Output);
            Assert.True(await replica.WaitForOutputAsync("configuration loaded, serving", TimeSpan.FromSeconds(10)), replica.Output);
            Assert.Equal("stored before", await replica.Client.GetStringAsync(new Uri(replica.DataUrl, "kept.txt")));
            // The rules stored before came with the load, and the task engine runs.
            var mirrored = await replica.Client.GetAsync(new Uri(replica.DataUrl, "pg/late.txt"));
            Assert.Equal("pulled after the database returned", await mirrored.Content.ReadAsStringAsync());
            Assert.Equal("mirror", mirrored.Headers.GetValues("x-origin-action").Single());
            var tasks = new FetchTaskClient(replica);
            Assert.Equal("TASK_SUCCESS", (await tasks.WaitAsync((await tasks.SubmitAsync(new { Url = $"http://{origin.Host}/pg/late.txt", Key = "pg/task.txt" })).TaskId)).State);

            var stopped = Stopwatch.StartNew();
            while (!misnamed.HasExited && stopped.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
            Assert.True(misnamed.HasExited, misnamed.Output);
            Assert.Equal(1, misnamed.ExitCode);
            Assert.Contains("Cannot start: 3D000", misnamed.Output, StringComparison.Ordinal);
        }
        finally
        {
            if (!postgres.IsRunning)
            {
                postgres.Start();
            }
        }
    }

    [Fact]
    public async Task APrimaryThatFailsOverToItsStandby_IsFollowedWithinSeconds_AndAReplicaStartedMidFailoverWaitsForTheNewPrimary()
    {
        // Managed PostgreSQL's everyday event: the primary is lost and its standby promoted. The connection string names both
        // (Host=standby,primary): the gateway takes the primary among them, whichever it is now. Before, it took the first
        // host that answered — the standby here, so the gateway did not even start (its migrations are writes); with
        // Target Session Attributes=primary set by hand, a replica started between the loss and the promotion exited
        // ("Unable to connect to a suitable host"), and a running one took the promoted standby only after Npgsql's 10 s
        // host recheck.
        using var primary = new PostgresFixture();
        using var standby = primary.StartStandby();
        var database = new NpgsqlConnectionStringBuilder(primary.NewDatabase()).Database;
        // The standby named first: a list of hosts is a set to find the primary in, not an order of preference.
        string[] settings = ["--Database:Provider=Postgres", $"--Database:ConnectionString=Host=127.0.0.1:{standby.Port},127.0.0.1:{primary.Port};Username=og;Database={database}"];
        static string Cors(string method) => $"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>{method}</AllowedMethod></CORSRule></CORSConfiguration>";
        static HttpRequestMessage PutCors(GatewayProcess gateway, string method) =>
            new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?cors")) { Content = new StringContent(Cors(method)) }.Sign();

        await using var running = await GatewayProcess.StartAsync(settings);
        Assert.Equal(HttpStatusCode.OK, (await running.Client.SendAsync(PutCors(running, "GET"))).StatusCode);
        // Replicated before the primary is lost (streaming replication is asynchronous).
        await using (var source = new NpgsqlConnection($"Host=127.0.0.1;Port={primary.Port};Username=og;Database=postgres;Pooling=false"))
        await using (var replica = new NpgsqlConnection($"Host=127.0.0.1;Port={standby.Port};Username=og;Database=postgres;Pooling=false"))
        {
            await source.OpenAsync();
            await replica.OpenAsync();
            await using var position = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", source);
            var written = (string)(await position.ExecuteScalarAsync())!;
            await using var replayed = new NpgsqlCommand($"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn", replica);
            var caughtUp = Stopwatch.StartNew();
            while (!(bool)(await replayed.ExecuteScalarAsync())! && caughtUp.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }

        primary.Stop();
        await using var started = await GatewayProcess.StartAsync(settings);
        Assert.True(await started.WaitForOutputAsync("The control database cannot be reached at start", TimeSpan.FromSeconds(15)), started.Output);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await running.Client.SendAsync(PutCors(running, "PUT"))).StatusCode);

        standby.Promote();
        var promoted = Stopwatch.StartNew();
        HttpStatusCode status;
        while ((status = (await running.Client.SendAsync(PutCors(running, "PUT"))).StatusCode) != HttpStatusCode.OK && promoted.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }
        output.WriteLine($"the running replica wrote to the promoted standby {promoted.ElapsedMilliseconds} ms after the promotion");
        Assert.Equal(HttpStatusCode.OK, status);
        while ((await started.Client.GetAsync(new Uri(started.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.OK && promoted.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }
        output.WriteLine($"the replica started mid-failover was ready {promoted.ElapsedMilliseconds} ms after the promotion");
        Assert.Equal(HttpStatusCode.OK, (await started.Client.GetAsync(new Uri(started.ControlUrl, "readyz"))).StatusCode);
        // Both replicas read the configuration written on the new primary.
        var cors = await started.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(started.DataUrl, "?cors")).Sign());
        Assert.Contains("<AllowedMethod>PUT</AllowedMethod>", await cors.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheControlDatabaseOverTls_IsVerifiedAgainstAPrivateAuthority_AndAServerItDoesNotVouchFor_StopsTheStart()
    {
        // Managed PostgreSQL asks for TLS, often under an authority of the provider's own: Npgsql's SSL Mode=VerifyFull with
        // Root Certificate=<that authority's PEM> checks the server's certificate and name, trusting the file for this
        // connection only.
        using var certificates = TestCertificates.Create();
        using var tls = PostgresFixture.WithTls(certificates.ServerCertificate, certificates.ServerKey);
        var connectionString = tls.NewDatabase();
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using (var gateway = await GatewayProcess.StartAsync(["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString};SSL Mode=VerifyFull;Root Certificate={certificates.CaFile}"]))
        {
            Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode);
            var cors = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
            Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?cors")) { Content = new StringContent(cors) }.Sign())).StatusCode);
            // The server's own view: the gateway's sessions on its database are encrypted.
            await using var admin = new NpgsqlConnection(connectionString);
            await admin.OpenAsync();
            await using var sessions = new NpgsqlCommand("SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = @db AND a.pid <> pg_backend_pid()", admin);
            sessions.Parameters.AddWithValue("db", database!);
            await using var reader = await sessions.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(reader.GetInt64(0) > 0, "no session of the gateway over TLS");
            Assert.Equal(0, reader.GetInt64(1));
        }

        // Trusting another authority: the start stops at once, naming the handshake — a server no one vouches for is no outage.
        var (exitCode, output) = await GatewayProcess.RunToExitAsync(["--Database:Provider=Postgres", $"--Database:ConnectionString={connectionString};SSL Mode=VerifyFull;Root Certificate={certificates.StrangerCaFile}"]);
        Assert.Equal(1, exitCode);
        Assert.Contains("Cannot start: Exception while performing SSL handshake", output, StringComparison.Ordinal);
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
