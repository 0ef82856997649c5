using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using OriginGateway.Dependencies;
using OriginGateway.Observability;
using OriginGateway.Storage;

namespace OriginGateway.Persistence;

/// <summary>
/// The control database: SQLite (one process, the default) or PostgreSQL (several replicas). The
/// repositories write one SQL for both — <c>@name</c> parameters, <c>ON CONFLICT</c>, <c>RETURNING</c> — and
/// ask <see cref="IsPostgres"/> where the engines differ (row locks for leases, start-up reclaim).
/// Migrations run at start-up, recorded in <c>schema_migrations</c>: on SQLite inside one transaction each; on
/// PostgreSQL all in one transaction holding a transaction-level advisory lock, which keeps replicas that start together
/// from running them twice (also behind a pooler in transaction mode), and the SQLite column types are mapped
/// (<c>INTEGER</c> → <c>BIGINT</c>, the autoincrement key → an identity).
/// </summary>
internal sealed partial class ControlDatabase : IDisposable
{
    /// <summary>The advisory lock id under which PostgreSQL migrations run.</summary>
    private const long MigrationLock = 0x4f47_4d49_4752;

    private readonly string _connectionString;
    /// <summary>PostgreSQL's data source; typed as the ADO.NET base so a SQLite gateway never loads Npgsql.</summary>
    private readonly DbDataSource? _postgres;
    private readonly ILogger<ControlDatabase> _logger;
    private readonly TimeSpan _timeout;

    /// <summary>A SQLite database (<c>Data Source=…</c>).</summary>
    public ControlDatabase(string connectionString, ILogger<ControlDatabase> logger)
        : this(DatabaseProvider.Sqlite, connectionString, logger)
    {
    }

    /// <param name="provider">The engine.</param>
    /// <param name="connectionString">The provider's connection string.</param>
    /// <param name="logger">Where migrations are logged.</param>
    /// <param name="timeout">The deadline of connecting and of each command (default 5 s).</param>
    public ControlDatabase(DatabaseProvider provider, string connectionString, ILogger<ControlDatabase> logger, TimeSpan? timeout = null)
    {
        _logger = logger;
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
        if (provider == DatabaseProvider.Postgres)
        {
            _postgres = PostgresDataSource.Create(connectionString, _timeout);
            _connectionString = connectionString;
            return;
        }
        // Microsoft.Data.Sqlite retries a statement that finds the database locked until its command timeout (30 s unless
        // told), around SQLite's own busy timeout: both are the gateway's deadline, so a database another process holds
        // locked (an operator's sqlite3 shell inside a transaction, a backup tool) fails a call after it, as a frozen
        // PostgreSQL does.
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true, DefaultTimeout = DeadlineSeconds(_timeout) };
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        }
        _connectionString = builder.ToString();
    }

    public bool IsPostgres => _postgres is not null;

    /// <summary>The deadline in the whole seconds the providers' own timeouts take (at least one).</summary>
    internal static int DeadlineSeconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));

    /// <summary>
    /// Runs <paramref name="work"/> on an open connection (provider-neutral types: the repositories use <c>@name</c>
    /// parameters and <see cref="DbCommandExtensions.Bind"/>), closes it, and goes on on the thread pool: with inline socket
    /// completions an answer from PostgreSQL would otherwise leave the caller's code on a socket event thread
    /// (<see cref="EventThreads"/>). Every use of the database goes through here.
    /// </summary>
    public async Task<T> WithConnectionAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        T result;
        await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            result = await work(connection).ConfigureAwait(false);
        }
        await EventThreads.Leave();
        return result;
    }

    private async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {(int)_timeout.TotalMilliseconds}; PRAGMA foreign_keys = ON;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose() => _postgres?.Dispose();

    /// <summary>A migration's SQL for this provider.</summary>
    internal string Dialect(string sql) => _postgres is null ? sql
        : sql.Replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", StringComparison.Ordinal)
             .Replace("INTEGER", "BIGINT", StringComparison.Ordinal);

    /// <summary>Applies the migrations not yet applied; returns how many ran.</summary>
    public Task<int> MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection => MigrateAsync(connection, migrations, cancellationToken), cancellationToken);

    private async Task<int> MigrateAsync(DbConnection connection, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        // PostgreSQL: every migration in one transaction that first takes a transaction-level advisory lock. Replicas that
        // start together run them one at a time, and the lock lasts exactly as long as the transaction — a session-level lock
        // outlived its transaction, and behind a pooler in transaction mode (PgBouncer) the next statement ran in another
        // server session: the lock serialized nothing, and two replicas creating the same table stopped one of them. SQLite:
        // one transaction per migration, after switching to WAL (which cannot be done inside one).
        await using var whole = IsPostgres ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
        await ExecuteAsync(connection, whole, IsPostgres ? $"SELECT pg_advisory_xact_lock({MigrationLock})" : "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
        // Written only when missing: a database whose schema is current is only read, so a replica starts (and serves what
        // needs no database) while the server takes no writes — PostgreSQL refuses even CREATE TABLE IF NOT EXISTS then.
        await using (var exists = connection.CreateCommand())
        {
            exists.Transaction = whole;
            exists.CommandText = IsPostgres
                ? "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'"
                : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
            {
                await ExecuteAsync(connection, whole, Dialect("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version     INTEGER NOT NULL PRIMARY KEY,
                        name        TEXT NOT NULL,
                        applied_at  TEXT NOT NULL
                    );
                    """), cancellationToken).ConfigureAwait(false);
            }
        }

        var applied = new HashSet<int>();
        await using (var query = connection.CreateCommand())
        {
            query.Transaction = whole;
            query.CommandText = "SELECT version FROM schema_migrations";
            await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture));
            }
        }

        var done = new List<Migration>();
        foreach (var migration in migrations.OrderBy(m => m.Version))
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }
            await using var own = whole is null ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
            var transaction = whole ?? own;
            await ExecuteAsync(connection, transaction, Dialect(migration.Sql), cancellationToken).ConfigureAwait(false);
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)";
                record.Bind("@v", migration.Version);
                record.Bind("@n", migration.Name);
                record.Bind("@t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken).ConfigureAwait(false);
                LogMigrated(_logger, migration.Version, migration.Name);
            }
            done.Add(migration);
        }
        if (whole is not null)
        {
            await whole.CommitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var migration in done)
            {
                LogMigrated(_logger, migration.Version, migration.Name);
            }
        }
        return done.Count;
    }

    /// <summary>One statement on its own connection; returns the rows it changed.</summary>
    public Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        WithConnectionAsync(async connection =>
        {
            await using var command = connection.Statement(sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>One scalar query on its own connection (null for no row or NULL).</summary>
    public Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        WithConnectionAsync(async connection =>
        {
            await using var command = connection.Statement(sql, parameters);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } result and not DBNull ? result : null;
        }, cancellationToken);

    /// <summary>One query on its own connection; every row mapped by <paramref name="read"/>.</summary>
    public Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        WithConnectionAsync(async connection =>
        {
            await using var command = connection.Statement(sql, parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(read(reader));
            }
            return rows;
        }, cancellationToken);

    /// <summary>
    /// A cheap round trip, for readiness: null when it answered and takes writes, else what went wrong. On SQLite it takes
    /// the write lock and lets it go: reads go on while another process holds the database locked (WAL), but every API that
    /// writes fails. On PostgreSQL it asks whether the session may write: a standby (the connection string aimed at a replica,
    /// or a failover that left it on the old primary) and <c>default_transaction_read_only</c> (which some managed servers set
    /// when their storage is nearly full) answer every read and refuse every write.
    /// </summary>
    public async Task<string?> PingAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (IsPostgres)
                {
                    return await ScalarAsync("SELECT current_setting('transaction_read_only')", cancellationToken).ConfigureAwait(false) is "on"
                        ? "control database: the server takes no writes (transaction_read_only is on: a standby, or default_transaction_read_only)"
                        : null;
                }
                await ScalarAsync("BEGIN IMMEDIATE; ROLLBACK; SELECT 1", cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (DbException e) when (attempt == 0 && _postgres is not null && PostgresDataSource.SessionEnded(_postgres, e))
            {
                // The pooled connection's session had been ended while idle (a DBA's pg_terminate_backend, a pooler's restart):
                // that says nothing about the server now. Asked once more, on a new connection; a server that is going away
                // refuses that one too.
            }
            catch (DbException e)
            {
                return "control database: " + e.Message;
            }
        }
    }

    /// <summary>
    /// Whether a failure says the database is away for a while — it cannot be reached, does not answer in time, is starting
    /// or shutting down, has no connection slot free, or (SQLite) another process holds the file locked — rather than that the
    /// gateway is set up wrong (a refused password, a database that does not exist, a missing privilege, an unwritable file).
    /// </summary>
    public bool IsOutage(Exception exception) => exception switch
    {
        TimeoutException or System.Net.Sockets.SocketException => true,
        InvalidOperationException { InnerException: DbException inner } => IsOutage(inner),
        _ when IsPostgres => PostgresDataSource.IsOutage(exception),
        // SQLITE_BUSY, SQLITE_LOCKED.
        SqliteException { SqliteErrorCode: 5 or 6 } => true,
        _ => false,
    };

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = LogEvents.DatabaseMigrated, Level = LogLevel.Information, Message = "Control database migrated to version {Version} ({Name})")]
    private static partial void LogMigrated(ILogger logger, int version, string name);
}

/// <summary>Npgsql, touched only when the provider is PostgreSQL.</summary>
internal static class PostgresDataSource
{
    /// <summary>The data source, with the gateway's deadline for connecting and for each command (see <see cref="Settings"/>).</summary>
    public static DbDataSource Create(string connectionString, TimeSpan timeout) => NpgsqlDataSource.Create(Settings(connectionString, timeout));

    /// <summary>
    /// The connection string the gateway connects with: the operator's, with the gateway's deadline for connecting and for
    /// each command. Several hosts (<c>Host=pg1,pg2</c>: a primary and its standbys) mean the primary among them, whichever
    /// it is now: unless the string says otherwise, <c>Target Session Attributes=primary</c> (a standby takes no writes) and
    /// <c>Host Recheck Seconds=1</c> — after a failover the promoted standby is taken within about a second, not Npgsql's 10.
    /// </summary>
    internal static string Settings(string connectionString, TimeSpan timeout)
    {
        var seconds = ControlDatabase.DeadlineSeconds(timeout);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = seconds, CommandTimeout = seconds };
        if (builder.Host?.Contains(',', StringComparison.Ordinal) == true)
        {
            var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
                .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
            if (!given.Contains("TARGETSESSIONATTRIBUTES"))
            {
                builder.TargetSessionAttributes = "primary";
            }
            if (!given.Contains("HOSTRECHECKSECONDS"))
            {
                builder.HostRecheckSeconds = 1;
            }
        }
        return builder.ConnectionString;
    }

    /// <summary>Why the gateway cannot use a connection string (a keyword Npgsql does not know, a value it refuses), or null.</summary>
    public static string? Problem(string connectionString)
    {
        try
        {
            using var dataSource = Create(connectionString, TimeSpan.FromSeconds(5));
            return null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or FormatException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// A connection that failed or was cut, a deadline, or a server error of the kinds that end by themselves (Npgsql's
    /// <c>IsTransient</c>: <c>57P03</c> the server is starting, <c>53300</c> too many connections, <c>57P01</c> an
    /// administrator's shutdown, class <c>08</c>); not <c>28P01</c> (password), <c>3D000</c> (no such database) or class <c>42</c>.
    /// Several hosts, none of them the primary yet (the others not reachable) — a failover under way — is one too.
    /// </summary>
    /// <summary>
    /// Whether <paramref name="exception"/> says the server ended the connection's session (57P01 admin shutdown —
    /// <c>pg_terminate_backend</c>, a pooler's restart —, 57P02 crash shutdown); if so the idle connections pooled beside it
    /// were most likely ended too, and the pool is emptied.
    /// </summary>
    public static bool SessionEnded(DbDataSource source, Exception exception)
    {
        if (exception is not PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown })
        {
            return false;
        }
        ((NpgsqlDataSource)source).Clear();
        return true;
    }

    public static bool IsOutage(Exception exception) => exception switch
    {
        NpgsqlException { IsTransient: true } or NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException or TimeoutException } => true,
        NpgsqlException { InnerException: AggregateException hosts } => hosts.InnerExceptions.All(IsOutage),
        // Every host answered (or is known to be down) and none is the primary: Npgsql says it in these words only
        // (PostgresGatewayTests' failover drill holds them to it).
        NpgsqlException { InnerException: null } none when none.GetType() == typeof(NpgsqlException) && none.Message.StartsWith("No suitable host", StringComparison.Ordinal) => true,
        _ => false,
    };
}
