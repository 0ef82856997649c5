using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OriginGateway.Persistence;

namespace OriginGateway.Tests;

/// <summary>
/// A private PostgreSQL cluster for a test class: <c>initdb</c> under a temp directory (as the
/// <c>postgres</c> user when the tests run as root, since initdb refuses root), a server on a free
/// loopback port with fsync off, stopped by <c>pg_ctl -m immediate</c> at the end. The test command
/// installs PostgreSQL (apt <c>postgresql</c>); without it the tests fail saying so.
/// </summary>
public sealed class PostgresFixture : IDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private readonly string _admin;
    private readonly bool _asPostgres;
    private readonly string _serverSettings = "";

    public PostgresFixture()
        : this(null)
    {
    }

    /// <summary>
    /// A new cluster (<c>initdb</c>), or a streaming standby of <paramref name="primary"/> (<c>pg_basebackup -R</c>); with
    /// <paramref name="tls"/>, a server that also speaks TLS with that PEM certificate and key (copied in for the server's user).
    /// </summary>
    private PostgresFixture(PostgresFixture? primary, (string Certificate, string Key)? tls = null)
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb"))) ?? ""
            : "";
        if (_bin.Length == 0)
        {
            throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). Run the README's test command (./test.sh), which installs the apt package 'postgresql'.");
        }
        _asPostgres = Environment.UserName == "root";
        _directory = Directory.CreateTempSubdirectory("og-pg").FullName;
        if (tls is { } files)
        {
            File.Copy(files.Certificate, Path.Combine(_directory, "server.crt"));
            File.Copy(files.Key, Path.Combine(_directory, "server.key"));
            Run("/bin/chmod", ["600", Path.Combine(_directory, "server.key")]);
            _serverSettings = $" -c ssl=on -c ssl_cert_file={_directory}/server.crt -c ssl_key_file={_directory}/server.key";
        }
        if (_asPostgres)
        {
            Run("/bin/chown", ["-R", "postgres:postgres", _directory]);
        }
        Port = TestPorts.Free();
        if (primary is null)
        {
            Tool("initdb", ["-D", Path.Combine(_directory, "pg"), "-A", "trust", "-U", "og", "--no-sync"]);
        }
        else
        {
            Tool("pg_basebackup", ["-h", "127.0.0.1", "-p", primary.Port.ToString(CultureInfo.InvariantCulture), "-U", "og", "-D", Path.Combine(_directory, "pg"), "-R", "-X", "stream"]);
        }
        Start();
        _admin = new NpgsqlConnectionStringBuilder($"Host=127.0.0.1;Port={Port};Username=og;Database=postgres;Pooling=false")
        {
            Timeout = (int)Deadline.TotalSeconds, CommandTimeout = (int)Deadline.TotalSeconds,
        }.ConnectionString;
    }

    public int Port { get; }

    /// <summary>Whether the server runs (its postmaster's pid file is there): not after <see cref="Stop"/>.</summary>
    public bool IsRunning => File.Exists(Path.Combine(_directory, "pg", "postmaster.pid"));

    /// <summary>
    /// The deadline of connecting and of each command for the suites' own connections. The gateway's 5 s is its answer to an
    /// outage; here the cluster is healthy but shares two cores with the whole test run (the functional suite starts its
    /// gateways at the same moment), and a first connection to a just-created database has missed 5 s there. The suites that
    /// test deadlines set their own.
    /// </summary>
    public static TimeSpan Deadline { get; } = TimeSpan.FromSeconds(60);

    /// <summary>A control database on <paramref name="connectionString"/> (from <see cref="NewDatabase"/>) with <see cref="Deadline"/>.</summary>
    internal static ControlDatabase Open(string connectionString) =>
        new(DatabaseProvider.Postgres, connectionString, NullLogger<ControlDatabase>.Instance, Deadline);

    /// <summary>Starts the server (again, after <see cref="Stop"/>) and waits until it takes connections.</summary>
    public void Start() =>
        Tool("pg_ctl", ["-D", Path.Combine(_directory, "pg"), "-o", $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200{_serverSettings}", "-l", Path.Combine(_directory, "log"), "-w", "start"]);

    /// <summary>A cluster that also speaks TLS with <paramref name="certificate"/> and <paramref name="key"/> (PEM files).</summary>
    public static PostgresFixture WithTls(string certificate, string key) => new(null, (certificate, key));

    /// <summary>A standby of this cluster, streaming from it, on a port of its own (<see cref="Promote"/> makes it the primary).</summary>
    public PostgresFixture StartStandby() => new(this);

    /// <summary>Promotes a standby to primary (<c>pg_ctl promote</c>), as a failover does; returns once it takes writes.</summary>
    public void Promote() => Tool("pg_ctl", ["-D", Path.Combine(_directory, "pg"), "-w", "promote"]);

    /// <summary>Freezes every process of the cluster (SIGSTOP to the postmaster and its children): connections stay open, nothing answers.</summary>
    public void Freeze() => Signal("-STOP");

    /// <summary>Lets a frozen cluster run again (SIGCONT).</summary>
    public void Thaw() => Signal("-CONT");

    private void Signal(string signal)
    {
        var postmaster = File.ReadLines(Path.Combine(_directory, "pg", "postmaster.pid")).First().Trim();
        var processes = new List<string> { postmaster };
        foreach (var stat in Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "stat")).Where(File.Exists))
        {
            try
            {
                var text = File.ReadAllText(stat);
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == postmaster)
                {
                    processes.Add(Path.GetFileName(Path.GetDirectoryName(stat))!);
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }
        Run("/bin/kill", [signal, .. processes]);
    }

    /// <summary>Stops the server at once, as a crash would (<c>pg_ctl stop -m immediate</c>): connections are cut.</summary>
    public void Stop() => Tool("pg_ctl", ["-D", Path.Combine(_directory, "pg"), "-m", "immediate", "stop"]);

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public string NewDatabase()
    {
        var name = "og_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(_admin))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }
        return $"Host=127.0.0.1;Port={Port};Username=og;Database={name}";
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (IsRunning)
            {
                Stop();
            }
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private void Tool(string name, string[] arguments)
    {
        var path = Path.Combine(_bin, name);
        if (_asPostgres)
        {
            Run("/usr/sbin/runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            Run(path, arguments);
        }
    }

    private static void Run(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + program);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within 60 s");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stdout.Result}{stderr.Result}");
        }
    }
}
