using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using OriginGateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// The SQLite control database held locked by another process — an operator's <c>sqlite3</c> shell left inside a
/// transaction, a tool that writes the file — is an outage like a frozen PostgreSQL: hits are served, every API that
/// writes fails with a retryable 503 within <c>Database:Timeout</c> instead of waiting out the SQLite library's own 30 s,
/// readiness names the database, and everything works again once the lock is let go.
/// </summary>
public sealed class ControlDatabaseLockTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ADatabaseLockedByAnotherProcess_FailsWritesIn503WithinTheDeadline_ReadinessNamesIt_AndRecovers()
    {
        await using var gateway = await GatewayProcess.StartAsync(["--Database:Timeout=00:00:01"]);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "locked/a.txt")) { Content = CosSigner.Bytes("kept"u8.ToArray()) }.Sign())).StatusCode);
        var tasks = new FetchTaskClient(gateway);
        const string cors = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
        HttpRequestMessage PutCors() => new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "?cors")) { Content = new StringContent(cors, Encoding.UTF8, "application/xml") }.Sign();

        // Another process's connection to the gateway's own database file, holding its write lock (readers go on: WAL).
        await using (var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(gateway.DataDirectory, "control.db"), Pooling = false }.ToString()))
        {
            await holder.OpenAsync();
            await using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                await begin.ExecuteNonQueryAsync();
            }

            Assert.Equal("kept", await gateway.Client.GetStringAsync(new Uri(gateway.DataUrl, "locked/a.txt")));

            var clock = Stopwatch.StartNew();
            var put = await gateway.Client.SendAsync(PutCors());
            var took = clock.Elapsed;
            output.WriteLine($"PUT ?cors with the database locked: {(int)put.StatusCode} in {took.TotalMilliseconds:F0} ms");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
            Assert.Contains("<Code>ServiceUnavailable</Code>", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("1", put.Headers.GetValues("Retry-After").Single());
            // A 1 s deadline; before, the SQLite library retried the locked statement for its own 30 s.
            Assert.True(took < TimeSpan.FromSeconds(10), $"PUT ?cors waited {took} with a 1 s database deadline");

            clock.Restart();
            var submitted = await tasks.SubmitAsync(new { Url = "http://127.0.0.1:9/locked.bin", Key = "locked/task.bin" });
            output.WriteLine($"fetch task with the database locked: {(int)submitted.Status} {submitted.Code} in {clock.ElapsedMilliseconds} ms");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, submitted.Status);
            Assert.Equal("ServiceUnavailable", submitted.Code);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the fetch task's submission waited {clock.Elapsed} with a 1 s database deadline");

            // Readiness is probed in the background once a second; before, its probe only read, which the lock allows.
            HttpResponseMessage ready;
            clock.Restart();
            while ((ready = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.ServiceUnavailable && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(200);
            }
            var readiness = await ready.Content.ReadAsStringAsync();
            output.WriteLine(readiness);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("database: Unhealthy", readiness, StringComparison.Ordinal);
            Assert.Contains("stores: Healthy", readiness, StringComparison.Ordinal);
            Assert.Equal("kept", await gateway.Client.GetStringAsync(new Uri(gateway.DataUrl, "locked/a.txt")));

            await using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        var released = Stopwatch.StartNew();
        while ((await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode != HttpStatusCode.OK && released.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200);
        }
        output.WriteLine($"ready {released.ElapsedMilliseconds} ms after the lock was let go");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(PutCors())).StatusCode);
        Assert.Contains("<AllowedOrigin>*</AllowedOrigin>", await (await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.DataUrl, "?cors")).Sign())).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await tasks.SubmitAsync(new { Url = "http://127.0.0.1:9/locked.bin", Key = "locked/task.bin" })).Status);
        Assert.False(gateway.HasExited);
    }
}
