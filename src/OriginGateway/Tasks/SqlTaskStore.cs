using System.Data.Common;
using System.Text;
using OriginGateway.Persistence;
using OriginGateway.Storage;

namespace OriginGateway.Tasks;

/// <summary>
/// The task queue in the control database (table <c>tasks</c>, migration 2), on SQLite or PostgreSQL:
/// on PostgreSQL the lease's sub-select takes <c>FOR UPDATE SKIP LOCKED</c>, so replicas leasing at once
/// never take the same task and never wait on each other's rows.
/// </summary>
internal sealed class SqlTaskStore(ControlDatabase database) : ITaskStore
{
    private const string Columns = """
        id, kind, bucket, object_key, host, priority, state, payload, parent_id, attempts, max_attempts, not_before,
        created_at, started_at, finished_at, lease_owner, lease_until, bytes_done, bytes_total, result_code, result_message,
        size, etag, callback_state, callback_attempts, callback_error
        """;

    public async Task<bool> InsertAsync(TaskRecord task, string? dedupKey, CancellationToken cancellationToken = default)
    {
        return await database.WithConnectionAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            InsertCommand(command, task, dedupKey);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static void InsertCommand(DbCommand command, TaskRecord task, string? dedupKey)
    {
        command.CommandText = """
            INSERT INTO tasks (id, kind, bucket, object_key, host, priority, state, payload, parent_id, dedup_key, attempts, max_attempts,
                               not_before, created_at, callback_state)
            VALUES (@id, @kind, @bucket, @key, @host, @priority, 'queued', @payload, @parent, @dedup, 0, @max, @notBefore, @created, @callback)
            ON CONFLICT DO NOTHING
            """;
        command.Bind("@id", task.Id);
        command.Bind("@kind", task.Kind);
        command.Bind("@bucket", task.Bucket);
        command.Bind("@key", task.Key);
        command.Bind("@host", task.Host);
        command.Bind("@priority", task.Priority);
        command.Bind("@payload", task.Payload);
        command.Bind("@parent", (object?)task.ParentId ?? DBNull.Value);
        command.Bind("@dedup", (object?)dedupKey ?? DBNull.Value);
        command.Bind("@max", task.MaxAttempts);
        command.Bind("@notBefore", task.NotBefore);
        command.Bind("@created", task.CreatedAt);
        command.Bind("@callback", (object?)task.CallbackState ?? DBNull.Value);
    }

    public async Task<TaskRecord?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await database.QueryAsync($"SELECT {Columns} FROM tasks WHERE id = @id", Read, cancellationToken, ("@id", id)).ConfigureAwait(false) is [var task, ..] ? task : null;

    public async Task<IReadOnlyList<TaskRecord>> RecentAsync(int limit, IReadOnlyCollection<string> buckets, CancellationToken cancellationToken = default)
    {
        if (buckets.Count == 0)
        {
            return [];
        }
        var names = buckets.ToList();
        var placeholders = string.Join(", ", names.Select((_, i) => "@b" + i));
        var parameters = names.Select((b, i) => ("@b" + i, (object?)b)).Append(("@limit", limit)).ToArray();
        return await database.QueryAsync($"SELECT {Columns} FROM tasks WHERE bucket IN ({placeholders}) ORDER BY seq DESC LIMIT @limit", Read, cancellationToken, parameters).ConfigureAwait(false);
    }

    public async Task<TaskRecord?> LeaseAsync(string owner, long now, long leaseUntil, IReadOnlyCollection<string> excludedHosts, CancellationToken cancellationToken = default)
    {
        return await database.WithConnectionAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            var excluded = new StringBuilder();
            var i = 0;
            foreach (var host in excludedHosts)
            {
                excluded.Append(i == 0 ? " AND host NOT IN (" : ", ").Append("@h").Append(i);
                command.Bind("@h" + i, host);
                i++;
            }
            if (i > 0)
            {
                excluded.Append(')');
            }
            command.CommandText = $"""
                UPDATE tasks SET state = 'running', lease_owner = @owner, lease_until = @until, attempts = attempts + 1,
                                 started_at = COALESCE(started_at, @now)
                WHERE seq = (SELECT seq FROM tasks WHERE ((state = 'queued' AND not_before <= @now) OR (state = 'running' AND lease_until < @now)){excluded}
                             ORDER BY priority DESC, seq LIMIT 1{(database.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "")})
                RETURNING {Columns}
                """;
            command.Bind("@owner", owner);
            command.Bind("@until", leaseUntil);
            command.Bind("@now", now);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DateTimeOffset?> ClockAsync(CancellationToken cancellationToken = default) => database.IsPostgres
        ? DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(
            await database.ScalarAsync("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)", cancellationToken).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture))
        : null;

    public async Task<bool> RenewAsync(string id, string owner, long leaseUntil, CancellationToken cancellationToken = default) => await database.ExecuteAsync(
        "UPDATE tasks SET lease_until = @until WHERE id = @id AND lease_owner = @owner AND state = 'running'", cancellationToken,
        ("@id", id), ("@owner", owner), ("@until", leaseUntil)).ConfigureAwait(false) == 1;

    public Task ProgressAsync(string id, string owner, long done, long? total, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE tasks SET bytes_done = @done, bytes_total = @total WHERE id = @id AND lease_owner = @owner AND state = 'running'", cancellationToken,
        ("@id", id), ("@owner", owner), ("@done", done), ("@total", total));

    public async Task<bool> FinishAsync(string id, string owner, TaskState state, TaskOutcome outcome, long now, IReadOnlyList<TaskRecord> followUps, TaskTally? tally = null, CancellationToken cancellationToken = default)
    {
        return await database.WithConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE tasks SET state = @state, finished_at = @now, lease_owner = NULL, lease_until = NULL, dedup_key = NULL,
                                 result_code = @code, result_message = @message, size = @size, etag = @etag,
                                 bytes_done = COALESCE(@size, bytes_done),
                                 callback_state = CASE WHEN @followUp THEN 'pending' ELSE callback_state END
                WHERE id = @id AND lease_owner = @owner AND state = 'running'
                """;
            command.Bind("@state", TaskStates.ToText(state));
            command.Bind("@now", now);
            command.Bind("@code", (object?)outcome.Code ?? DBNull.Value);
            command.Bind("@message", (object?)outcome.Message ?? DBNull.Value);
            command.Bind("@size", (object?)outcome.Size ?? DBNull.Value);
            command.Bind("@etag", (object?)outcome.ETag ?? DBNull.Value);
            command.Bind("@followUp", followUps.Any(f => f.Kind == TaskRecord.CallbackKind));
            command.Bind("@id", id);
            command.Bind("@owner", owner);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                return false;
            }
            foreach (var followUp in followUps)
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                InsertCommand(insert, followUp, null);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (tally is not null)
            {
                await using var count = connection.Statement(tally.Sql, tally.Parameters);
                count.Transaction = transaction;
                await count.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> RetryAsync(string id, string owner, long notBefore, string? code, string? message, CancellationToken cancellationToken = default) => await database.ExecuteAsync(
        """
        UPDATE tasks SET state = 'queued', not_before = @notBefore, lease_owner = NULL, lease_until = NULL,
                         result_code = @code, result_message = @message
        WHERE id = @id AND lease_owner = @owner AND state = 'running'
        """, cancellationToken,
        ("@id", id), ("@owner", owner), ("@notBefore", notBefore), ("@code", code), ("@message", message)).ConfigureAwait(false) == 1;

    public async Task<bool> ReleaseAsync(string id, string owner, CancellationToken cancellationToken = default) => await database.ExecuteAsync(
        """
        UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
        WHERE id = @id AND lease_owner = @owner AND state = 'running'
        """, cancellationToken,
        ("@id", id), ("@owner", owner)).ConfigureAwait(false) == 1;

    public async Task<CancelResult> CancelAsync(string id, long now, CancellationToken cancellationToken = default)
    {
        return await database.WithConnectionAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE tasks SET state = 'cancelled', finished_at = @now, lease_owner = NULL, lease_until = NULL, dedup_key = NULL
                WHERE id = @id AND state IN ('queued', 'running')
                """;
            command.Bind("@id", id);
            command.Bind("@now", now);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                return CancelResult.Cancelled;
            }
            return await GetAsync(id, cancellationToken).ConfigureAwait(false) is null ? CancelResult.NotFound : CancelResult.AlreadyFinished;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<int> ReclaimExpiredAsync(long now, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL WHERE state = 'running' AND lease_until < @now", cancellationToken,
        ("@now", now));

    /// <summary>SQLite serves one process: whatever is running now died with it. A shared PostgreSQL waits for leases to expire.</summary>
    public Task<int> ReclaimAtStartupAsync(CancellationToken cancellationToken = default) => database.IsPostgres ? Task.FromResult(0) : database.ExecuteAsync(
        "UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL WHERE state = 'running'", cancellationToken);

    public Task<int> PurgeAsync(long finishedBefore, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "DELETE FROM tasks WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < @before", cancellationToken,
        ("@before", finishedBefore));

    public Task SetCallbackAsync(string id, string state, int attempts, string? error, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE tasks SET callback_state = @state, callback_attempts = @attempts, callback_error = @error WHERE id = @id", cancellationToken,
        ("@id", id), ("@state", state), ("@attempts", attempts), ("@error", error));

    public async Task<IReadOnlyList<(string Kind, TaskState State, long Count)>> CountsAsync(CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT kind, state, COUNT(*) FROM tasks GROUP BY kind, state",
            r => (r.GetString(0), TaskStates.Parse(r.GetString(1)), r.GetInt64(2)), cancellationToken).ConfigureAwait(false);

    private static TaskRecord Read(DbDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Kind = reader.GetString(1),
        Bucket = reader.GetString(2),
        Key = reader.GetString(3),
        Host = reader.GetString(4),
        Priority = (int)reader.GetInt64(5),
        State = TaskStates.Parse(reader.GetString(6)),
        Payload = reader.GetString(7),
        ParentId = reader.IsDBNull(8) ? null : reader.GetString(8),
        Attempts = (int)reader.GetInt64(9),
        MaxAttempts = (int)reader.GetInt64(10),
        NotBefore = reader.GetInt64(11),
        CreatedAt = reader.GetInt64(12),
        StartedAt = reader.IsDBNull(13) ? null : reader.GetInt64(13),
        FinishedAt = reader.IsDBNull(14) ? null : reader.GetInt64(14),
        LeaseOwner = reader.IsDBNull(15) ? null : reader.GetString(15),
        LeaseUntil = reader.IsDBNull(16) ? null : reader.GetInt64(16),
        BytesDone = reader.GetInt64(17),
        BytesTotal = reader.IsDBNull(18) ? null : reader.GetInt64(18),
        ResultCode = reader.IsDBNull(19) ? null : reader.GetString(19),
        ResultMessage = reader.IsDBNull(20) ? null : reader.GetString(20),
        Size = reader.IsDBNull(21) ? null : reader.GetInt64(21),
        ETag = reader.IsDBNull(22) ? null : reader.GetString(22),
        CallbackState = reader.IsDBNull(23) ? null : reader.GetString(23),
        CallbackAttempts = (int)reader.GetInt64(24),
        CallbackError = reader.IsDBNull(25) ? null : reader.GetString(25),
    };
}
