using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// pgBackRest — PostgreSQL's backup tool, with an S3 client of its own written in C (its own SigV4 signer, XML parser,
/// multipart uploads and batch deletes), over TLS only — keeping a cluster's backups and its WAL archive in a bucket
/// behind the gateway, as teams that run PostgreSQL do with S3. Every step is the tool's own command, as its users run it.
/// </summary>
public sealed class PgBackRestTests
{
    private static readonly string PostgresBin = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb"))) ?? ""
        : "";

    [Fact]
    public async Task PgBackRest_ArchivesWal_BacksUpFullAndIncremental_VerifiesRestoresTheSameRows_AndExpires_OverTls()
    {
        var pgbackrest = ExternalTool.RequireAt("/usr/bin/pgbackrest", "pgbackrest");
        Assert.True(PostgresBin.Length > 0, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run the README's test command (./test.sh), which installs the apt package 'postgresql'.");
        using var certificates = TestCertificates.Create();
        using var serverCertificate = X509CertificateLoader.LoadCertificateFromFile(certificates.ServerCertificate);
        await using var gateway = await GatewayProcess.StartAsync([.. certificates.HttpsDataEndpoint, $"--Buckets:1:Name={GatewayFixture.PrivateBucket}"], trusted: serverCertificate);

        // Everything the cluster and the tool touch belongs to the user they run as (postgres when the suite runs as root).
        var work = TestPaths.NewTempDirectory("og-pgbackrest");
        await AsRootAsync("/bin/chmod", "755", work);
        string Owned(string name) => Directory.CreateDirectory(Path.Combine(work, name)).FullName;
        var config = Path.Combine(work, "pgbackrest.conf");
        // The endpoint by name: pgBackRest 2.45 matches the certificate's DNS names only, not its IP address (the test
        // certificate has both); the gateway listens on 127.0.0.1, which localhost names.
        var (primary, restored, sockets) = (Path.Combine(work, "primary"), Path.Combine(work, "restored"), Owned("sockets"));
        var (primaryPort, restoredPort) = (TestPorts.Free(), TestPorts.Free());
        await File.WriteAllTextAsync(config, $"""
            [global]
            repo1-type=s3
            repo1-path=/pgbackrest
            repo1-s3-bucket={GatewayFixture.PrivateBucket}
            repo1-s3-endpoint=localhost
            repo1-storage-port={gateway.DataPort}
            repo1-s3-region=ap-guangzhou
            repo1-s3-key={GatewayProcess.DevSecretId}
            repo1-s3-key-secret={GatewayProcess.DevSecretKey}
            repo1-s3-uri-style=path
            repo1-storage-ca-file={certificates.CaFile}
            repo1-retention-full=2
            compress-type=none
            log-path={Owned("log")}
            lock-path={Owned("lock")}
            spool-path={Owned("spool")}
            log-level-console=info
            log-level-file=off
            start-fast=y

            [main]
            pg1-path={primary}
            pg1-port={primaryPort}
            pg1-socket-path={sockets}
            pg1-user=og
            """);
        await AsRootAsync("/bin/chmod", "-R", "a+rX", certificates.Directory);
        await AsRootAsync("/bin/chown", "-R", "postgres:postgres", work);
        async Task<string> BackRest(params string[] arguments)
        {
            var run = await AsPostgresAsync(pgbackrest, [$"--config={config}", "--stanza=main", .. arguments]);
            Assert.True(run.ExitCode == 0, $"pgbackrest {string.Join(' ', arguments)} ({run.ExitCode}):\n{run.Stdout}{run.Stderr}");
            return run.Stdout;
        }

        await Postgres("initdb", "-D", primary, "-A", "trust", "-U", "og", "--no-sync");
        await Postgres("pg_ctl", "-D", primary, "-l", Path.Combine(work, "primary.log"), "-w", "start", "-o",
            $"-p {primaryPort} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c archive_mode=on -c archive_command='{pgbackrest} --config={config} --stanza=main archive-push %p'");
        try
        {
            var rowsBefore = await RunSqlAsync(primaryPort,
                // Rows that do not compress: with compress-type=none a table file goes up in several parts (multipart).
                "CREATE TABLE t AS SELECT g, md5(g::text) || md5(random()::text) || repeat(md5(random()::text), 6) AS v FROM generate_series(1, 150000) g",
                "SELECT count(*)::text || ' ' || md5(string_agg(v, '' ORDER BY g)) FROM t");
            await BackRest("stanza-create");
            // Pushes a WAL segment through archive_command and reads it back from the bucket.
            Assert.Contains("successfully archived", await BackRest("check"), StringComparison.Ordinal);
            await BackRest("backup", "--type=full");

            var rowsAfter = await RunSqlAsync(primaryPort,
                "INSERT INTO t SELECT g, 'after the full backup ' || g FROM generate_series(150001, 160000) g",
                "SELECT count(*)::text || ' ' || md5(string_agg(v, '' ORDER BY g)) FROM t");
            Assert.NotEqual(rowsBefore, rowsAfter);
            await BackRest("backup", "--type=incr");
            var info = await BackRest("info");
            Assert.Contains("full backup:", info, StringComparison.Ordinal);
            Assert.Contains("incr backup:", info, StringComparison.Ordinal);
            Assert.Contains("status: ok", info, StringComparison.Ordinal);
            // Reads every file of every backup and the archive back and checks its checksum.
            await BackRest("verify");

            // Restored into a new data directory and started: WAL replayed from the archive (archive-get) to the latest row.
            await AsPostgresAsync("/bin/mkdir", ["-m", "700", restored]);
            await BackRest("restore", $"--pg1-path={restored}");
            await Postgres("pg_ctl", "-D", restored, "-l", Path.Combine(work, "restored.log"), "-w", "-t", "120", "start", "-o",
                $"-p {restoredPort} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c archive_mode=off");
            try
            {
                Assert.Equal(rowsAfter, await RunSqlAsync(restoredPort, "SELECT count(*)::text || ' ' || md5(string_agg(v, '' ORDER BY g)) FROM t"));
            }
            finally
            {
                await Postgres("pg_ctl", "-D", restored, "-m", "immediate", "stop");
            }

            // Two more full backups with two kept: the first full and its incremental are expired — deleted from the bucket
            // (S3 batch deletes), with the archive they alone needed.
            await BackRest("backup", "--type=full");
            await BackRest("backup", "--type=full");
            info = await BackRest("info");
            Assert.Equal(2, info.Split('\n').Count(l => l.Contains("full backup:", StringComparison.Ordinal)));
            Assert.DoesNotContain("incr backup:", info, StringComparison.Ordinal);
            await BackRest("verify");
            var listing = await BackRest("repo-ls", "--recurse", "backup/main");
            Assert.Equal(2, listing.Split('\n').Count(l => l.EndsWith('F') && !l.Contains('/', StringComparison.Ordinal)));
        }
        finally
        {
            await Postgres("pg_ctl", "-D", primary, "-m", "immediate", "stop");
        }
    }

    private static async Task<string> RunSqlAsync(int port, params string[] statements)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=og;Database=postgres;Pooling=false;Timeout=60;Command Timeout=120");
        await connection.OpenAsync();
        string? last = null;
        foreach (var sql in statements)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            last = (await command.ExecuteScalarAsync())?.ToString();
        }
        return last ?? "";
    }

    private static async Task Postgres(string tool, params string[] arguments)
    {
        var run = await AsPostgresAsync(Path.Combine(PostgresBin, tool), arguments);
        Assert.True(run.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} ({run.ExitCode}):\n{run.Stdout}{run.Stderr}");
    }

    /// <summary>As the postgres user when the suite runs as root (PostgreSQL and pgBackRest refuse root), else as is.</summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> AsPostgresAsync(string program, IEnumerable<string> arguments) =>
        Environment.UserName == "root"
            ? ExternalTool.RunAsync("/usr/sbin/runuser", ["-u", "postgres", "--", program, .. arguments])
            : ExternalTool.RunAsync(program, arguments);

    private static async Task AsRootAsync(string program, params string[] arguments)
    {
        if (Environment.UserName != "root")
        {
            return;
        }
        var run = await ExternalTool.RunAsync(program, arguments);
        Assert.True(run.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {run.Stderr}");
    }
}
