using System.Text;
using Microsoft.Data.Sqlite;
using OriginGateway.Persistence;

namespace OriginGateway.Tasks;

/// <summary>The task queue on the SQLite control database (table <c>tasks</c>, migration 2).</summary>
internal sealed class SqliteTaskStore(ControlDatabase database) : ITaskStore
{
    private const string Columns = """
        id, kind, bucket, object_key, host, priority, state, payload, parent_id, attempts, max_attempts, not_before,
        created_at, started_at, finished_at, lease_owner, lease_until, bytes_done, bytes_total, result_code, result_message,
        size, etag, callback_state, callback_attempts, callback_error
        """;

    public bool Insert(TaskRecord task, string? dedupKey)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        InsertCommand(command, task, dedupKey);
        return command.ExecuteNonQuery() == 1;
    }

    private static void InsertCommand(SqliteCommand command, TaskRecord task, string? dedupKey)
    {
        command.CommandText = """
            INSERT INTO tasks (id, kind, bucket, object_key, host, priority, state, payload, parent_id, dedup_key, attempts, max_attempts,
                               not_before, created_at, callback_state)
            VALUES ($id, $kind, $bucket, $key, $host, $priority, 'queued', $payload, $parent, $dedup, 0, $max, $notBefore, $created, $callback)
            ON CONFLICT DO NOTHING
            """;
        command.Parameters.AddWithValue("$id", task.Id);
        command.Parameters.AddWithValue("$kind", task.Kind);
        command.Parameters.AddWithValue("$bucket", task.Bucket);
        command.Parameters.AddWithValue("$key", task.Key);
        command.Parameters.AddWithValue("$host", task.Host);
        command.Parameters.AddWithValue("$priority", task.Priority);
        command.Parameters.AddWithValue("$payload", task.Payload);
        command.Parameters.AddWithValue("$parent", (object?)task.ParentId ?? DBNull.Value);
        command.Parameters.AddWithValue("$dedup", (object?)dedupKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$max", task.MaxAttempts);
        command.Parameters.AddWithValue("$notBefore", task.NotBefore);
        command.Parameters.AddWithValue("$created", task.CreatedAt);
        command.Parameters.AddWithValue("$callback", (object?)task.CallbackState ?? DBNull.Value);
    }

    public TaskRecord? Get(string id) =>
        database.Query($"SELECT {Columns} FROM tasks WHERE id = $id", Read, ("$id", id)) is [var task, ..] ? task : null;

    public IReadOnlyList<TaskRecord> Recent(int limit, IReadOnlyCollection<string> buckets)
    {
        if (buckets.Count == 0)
        {
            return [];
        }
        var names = buckets.ToList();
        var placeholders = string.Join(", ", names.Select((_, i) => "$b" + i));
        var parameters = names.Select((b, i) => ("$b" + i, (object?)b)).Append(("$limit", limit)).ToArray();
        return database.Query($"SELECT {Columns} FROM tasks WHERE bucket IN ({placeholders}) ORDER BY seq DESC LIMIT $limit", Read, parameters);
    }

    public TaskRecord? Lease(string owner, long now, long leaseUntil, IReadOnlyCollection<string> excludedHosts)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var excluded = new StringBuilder();
        var i = 0;
        foreach (var host in excludedHosts)
        {
            excluded.Append(i == 0 ? " AND host NOT IN (" : ", ").Append("$h").Append(i);
            command.Parameters.AddWithValue("$h" + i, host);
            i++;
        }
        if (i > 0)
        {
            excluded.Append(')');
        }
        command.CommandText = $"""
            UPDATE tasks SET state = 'running', lease_owner = $owner, lease_until = $until, attempts = attempts + 1,
                             started_at = COALESCE(started_at, $now)
            WHERE seq = (SELECT seq FROM tasks WHERE state = 'queued' AND not_before <= $now{excluded}
                         ORDER BY priority DESC, seq LIMIT 1)
            RETURNING {Columns}
            """;
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$until", leaseUntil);
        command.Parameters.AddWithValue("$now", now);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    public bool Renew(string id, string owner, long leaseUntil) => database.Execute(
        "UPDATE tasks SET lease_until = $until WHERE id = $id AND lease_owner = $owner AND state = 'running'",
        ("$id", id), ("$owner", owner), ("$until", leaseUntil)) == 1;

    public void Progress(string id, string owner, long done, long? total) => database.Execute(
        "UPDATE tasks SET bytes_done = $done, bytes_total = $total WHERE id = $id AND lease_owner = $owner AND state = 'running'",
        ("$id", id), ("$owner", owner), ("$done", done), ("$total", total));

    public bool Finish(string id, string owner, TaskState state, TaskOutcome outcome, long now, IReadOnlyList<TaskRecord> followUps)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE tasks SET state = $state, finished_at = $now, lease_owner = NULL, lease_until = NULL, dedup_key = NULL,
                             result_code = $code, result_message = $message, size = $size, etag = $etag,
                             bytes_done = CASE WHEN $size IS NULL THEN bytes_done ELSE $size END,
                             callback_state = CASE WHEN $followUp THEN 'pending' ELSE callback_state END
            WHERE id = $id AND lease_owner = $owner AND state = 'running'
            """;
        command.Parameters.AddWithValue("$state", TaskStates.ToText(state));
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$code", (object?)outcome.Code ?? DBNull.Value);
        command.Parameters.AddWithValue("$message", (object?)outcome.Message ?? DBNull.Value);
        command.Parameters.AddWithValue("$size", (object?)outcome.Size ?? DBNull.Value);
        command.Parameters.AddWithValue("$etag", (object?)outcome.ETag ?? DBNull.Value);
        command.Parameters.AddWithValue("$followUp", followUps.Any(f => f.Kind == Callbacks.CallbackHandler.TaskKind));
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$owner", owner);
        if (command.ExecuteNonQuery() != 1)
        {
            return false;
        }
        foreach (var followUp in followUps)
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            InsertCommand(insert, followUp, null);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
        return true;
    }

    public bool Retry(string id, string owner, long notBefore, string? code, string? message) => database.Execute(
        """
        UPDATE tasks SET state = 'queued', not_before = $notBefore, lease_owner = NULL, lease_until = NULL,
                         result_code = $code, result_message = $message
        WHERE id = $id AND lease_owner = $owner AND state = 'running'
        """,
        ("$id", id), ("$owner", owner), ("$notBefore", notBefore), ("$code", code), ("$message", message)) == 1;

    public bool Release(string id, string owner) => database.Execute(
        """
        UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL, attempts = MAX(attempts - 1, 0)
        WHERE id = $id AND lease_owner = $owner AND state = 'running'
        """,
        ("$id", id), ("$owner", owner)) == 1;

    public CancelResult Cancel(string id, long now)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE tasks SET state = 'cancelled', finished_at = $now, lease_owner = NULL, lease_until = NULL, dedup_key = NULL
            WHERE id = $id AND state IN ('queued', 'running')
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", now);
        if (command.ExecuteNonQuery() == 1)
        {
            return CancelResult.Cancelled;
        }
        return Get(id) is null ? CancelResult.NotFound : CancelResult.AlreadyFinished;
    }

    public int ReclaimExpired(long now) => database.Execute(
        "UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL WHERE state = 'running' AND lease_until < $now",
        ("$now", now));

    public int ReclaimAtStartup() => database.Execute(
        "UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL WHERE state = 'running'");

    public int Purge(long finishedBefore) => database.Execute(
        "DELETE FROM tasks WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < $before",
        ("$before", finishedBefore));

    public void SetCallback(string id, string state, int attempts, string? error) => database.Execute(
        "UPDATE tasks SET callback_state = $state, callback_attempts = $attempts, callback_error = $error WHERE id = $id",
        ("$id", id), ("$state", state), ("$attempts", attempts), ("$error", error));

    public IReadOnlyList<(string Kind, TaskState State, long Count)> Counts() =>
        database.Query("SELECT kind, state, COUNT(*) FROM tasks GROUP BY kind, state",
            r => (r.GetString(0), TaskStates.Parse(r.GetString(1)), r.GetInt64(2)));

    private static TaskRecord Read(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Kind = reader.GetString(1),
        Bucket = reader.GetString(2),
        Key = reader.GetString(3),
        Host = reader.GetString(4),
        Priority = reader.GetInt32(5),
        State = TaskStates.Parse(reader.GetString(6)),
        Payload = reader.GetString(7),
        ParentId = reader.IsDBNull(8) ? null : reader.GetString(8),
        Attempts = reader.GetInt32(9),
        MaxAttempts = reader.GetInt32(10),
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
        CallbackAttempts = reader.GetInt32(24),
        CallbackError = reader.IsDBNull(25) ? null : reader.GetString(25),
    };
}
