using System.Data.Common;
using OriginGateway.Persistence;
using OriginGateway.Storage;
using OriginGateway.Tasks;

namespace OriginGateway.Oms;

/// <summary>
/// Sync tasks in the control database (table <c>sync_tasks</c>, migrations 5 and 7). No key column exists; a
/// synchronising task names its owner — the replica holding its keys — and holds it until <c>owner_until</c>,
/// which the owner renews while it lives.
/// </summary>
internal sealed class SyncTaskRepository(ControlDatabase database)
{
    private const string Columns = """
        id, project_id, source_type, source_cloud_type, source_endpoint, source_region, source_bucket, source_prefix,
        destination_bucket, destination_prefix, description, metadata_migration, sync_interval, status, create_time,
        last_start_time, last_pass_time, listed, copied, skipped, failed, bytes, last_error
        """;

    /// <summary>Inserts a task, synchronising and owned by <paramref name="owner"/> until <paramref name="ownedUntil"/>; false when the project is full.</summary>
    public async Task<bool> InsertAsync(SyncTask task, int maxPerProject, string owner, long ownedUntil, CancellationToken cancellationToken = default)
    {
        return await database.WithConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var count = connection.CreateCommand();
            count.Transaction = transaction;
            count.CommandText = "SELECT COUNT(*) FROM sync_tasks WHERE project_id = @p";
            count.Bind("@p", task.ProjectId);
            if ((long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! >= maxPerProject)
            {
                return false;
            }
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO sync_tasks ({Columns}, owner, owner_until) VALUES (@id, @p, @st, @sct, @se, @sr, @sb, @sp, @db, @dp, @d, @m, @i, @s, @c, @started, NULL, 0, 0, 0, 0, 0, NULL, @o, @u)";
            insert.Bind("@id", task.Id);
            insert.Bind("@p", task.ProjectId);
            insert.Bind("@st", task.SourceType);
            insert.Bind("@sct", task.SourceCloudType);
            insert.Bind("@se", task.SourceEndpoint);
            insert.Bind("@sr", task.SourceRegion);
            insert.Bind("@sb", task.SourceBucket);
            insert.Bind("@sp", task.SourcePrefix);
            insert.Bind("@db", task.DestinationBucket);
            insert.Bind("@dp", task.DestinationPrefix);
            insert.Bind("@d", task.Description);
            insert.Bind("@m", task.MetadataMigration ? 1 : 0);
            insert.Bind("@i", task.SyncInterval);
            insert.Bind("@s", task.Status);
            insert.Bind("@c", task.CreateTime);
            insert.Bind("@started", (object?)task.LastStartTime ?? DBNull.Value);
            insert.Bind("@o", owner);
            insert.Bind("@u", ownedUntil);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<SyncTask?> GetAsync(string projectId, string id, CancellationToken cancellationToken = default) =>
        await QueryAsync("WHERE project_id = @p AND id = @id", cancellationToken, ("@p", projectId), ("@id", id)).ConfigureAwait(false) is [var task, ..] ? task : null;

    public async Task<SyncTask?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await QueryAsync("WHERE id = @id", cancellationToken, ("@id", id)).ConfigureAwait(false) is [var task, ..] ? task : null;

    public async Task<IReadOnlyList<SyncTask>> ListAsync(string projectId, CancellationToken cancellationToken = default) =>
        await QueryAsync("WHERE project_id = @p ORDER BY create_time, id", cancellationToken, ("@p", projectId)).ConfigureAwait(false);

    /// <summary>Every task's id (what the lease filter needs, without reading whole rows).</summary>
    public async Task<IReadOnlyList<string>> IdsAsync(CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT id FROM sync_tasks", r => r.GetString(0), cancellationToken).ConfigureAwait(false);

    /// <summary>The synchronizing tasks among <paramref name="ids"/> that <paramref name="owner"/> owns (the ones this replica holds keys for).</summary>
    public async Task<IReadOnlyList<SyncTask>> SynchronizingAsync(IReadOnlyCollection<string> ids, string owner, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        var names = ids.ToList();
        var placeholders = string.Join(", ", names.Select((_, i) => "@i" + i));
        return await QueryAsync($"WHERE status = 'SYNCHRONIZING' AND owner = @o AND id IN ({placeholders}) ORDER BY create_time, id", cancellationToken,
            [("@o", owner), .. names.Select((id, i) => ("@i" + i, (object?)id))]).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(string projectId, string id, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM sync_tasks WHERE project_id = @p AND id = @id", cancellationToken, ("@p", projectId), ("@id", id)).ConfigureAwait(false) == 1;

    /// <summary>Starts a stopped task as <paramref name="owner"/>'s; false when it is synchronising already (here or on another replica).</summary>
    public async Task<bool> TryStartAsync(string id, string owner, long ownedUntil, long startedAt, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync(
            "UPDATE sync_tasks SET status = 'SYNCHRONIZING', owner = @o, owner_until = @u, last_start_time = @t WHERE id = @id AND status <> 'SYNCHRONIZING'",
            cancellationToken, ("@id", id), ("@o", owner), ("@u", ownedUntil), ("@t", startedAt)).ConfigureAwait(false) == 1;

    public Task StopAsync(string id, CancellationToken cancellationToken = default) => StopWhereAsync("id = @id", cancellationToken, ("@id", id));

    /// <summary>The owner is alive: its synchronising tasks stay its own until <paramref name="ownedUntil"/>.</summary>
    public Task RenewAsync(string owner, long ownedUntil, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE sync_tasks SET owner_until = @u WHERE owner = @o AND status = 'SYNCHRONIZING'", cancellationToken, ("@o", owner), ("@u", ownedUntil));

    /// <summary>Stops the tasks of an owner that is gone (its hold ran out): their keys went with it.</summary>
    public Task<int> StopOrphanedAsync(long now, CancellationToken cancellationToken = default) =>
        StopWhereAsync("status = 'SYNCHRONIZING' AND (owner_until IS NULL OR owner_until < @now)", cancellationToken, ("@now", now));

    /// <summary>Stops every task <paramref name="owner"/> holds (it is shutting down: its keys go with it).</summary>
    public Task<int> StopOwnedAsync(string owner, CancellationToken cancellationToken = default) =>
        StopWhereAsync("owner = @o AND status = 'SYNCHRONIZING'", cancellationToken, ("@o", owner));

    /// <summary>
    /// A replica on SQLite is the only one: after its restart nobody holds any keys, and every task is stopped. A shared
    /// PostgreSQL keeps the tasks of live replicas; those of a lost one stop when its hold runs out.
    /// </summary>
    public Task<int> StopAllAtStartupAsync(CancellationToken cancellationToken = default) =>
        database.IsPostgres ? Task.FromResult(0) : StopWhereAsync("status <> 'STOPPED'", cancellationToken);

    /// <summary>What stopping is, wherever it happens: not synchronising, and nobody's.</summary>
    private Task<int> StopWhereAsync(string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        database.ExecuteAsync($"UPDATE sync_tasks SET status = 'STOPPED', owner = NULL, owner_until = NULL WHERE {where}", cancellationToken, parameters);

    public Task PassDoneAsync(string id, long at, long listed, long skipped, string? error, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE sync_tasks SET last_pass_time = @t, listed = listed + @l, skipped = skipped + @k, last_error = COALESCE(@e, last_error) WHERE id = @id", cancellationToken,
        ("@id", id), ("@t", at), ("@l", listed), ("@k", skipped), ("@e", error));

    /// <summary>
    /// One object's copy ended: a tally the task engine writes with the copy task's final outcome, so a copy that ran
    /// twice (its first outcome lost to a restart or a lost lease) counts once.
    /// </summary>
    public static TaskTally CopyDone(string id, bool copied, long bytes, string? error) => new(
        "UPDATE sync_tasks SET copied = copied + @c, failed = failed + @f, bytes = bytes + @b, last_error = COALESCE(@e, last_error) WHERE id = @id",
        [("@id", id), ("@c", copied ? 1 : 0), ("@f", copied ? 0 : 1), ("@b", bytes), ("@e", error)]);

    private Task<List<SyncTask>> QueryAsync(string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        database.QueryAsync($"SELECT {Columns} FROM sync_tasks {where}", Read, cancellationToken, parameters);

    private static SyncTask Read(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        ProjectId = r.GetString(1),
        SourceType = r.GetString(2),
        SourceCloudType = r.GetString(3),
        SourceEndpoint = r.GetString(4),
        SourceRegion = r.GetString(5),
        SourceBucket = r.GetString(6),
        SourcePrefix = r.GetString(7),
        DestinationBucket = r.GetString(8),
        DestinationPrefix = r.GetString(9),
        Description = r.GetString(10),
        MetadataMigration = r.GetInt64(11) != 0,
        SyncInterval = (int)r.GetInt64(12),
        Status = r.GetString(13),
        CreateTime = r.GetInt64(14),
        LastStartTime = r.IsDBNull(15) ? null : r.GetInt64(15),
        LastPassTime = r.IsDBNull(16) ? null : r.GetInt64(16),
        Listed = r.GetInt64(17),
        Copied = r.GetInt64(18),
        Skipped = r.GetInt64(19),
        Failed = r.GetInt64(20),
        Bytes = r.GetInt64(21),
        LastError = r.IsDBNull(22) ? null : r.GetString(22),
    };
}
