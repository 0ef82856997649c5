using System.Data.Common;
using OriginGateway.Persistence;

namespace OriginGateway.Oms;

/// <summary>Sync tasks in the control database (table <c>sync_tasks</c>, migration 5). No key column exists.</summary>
internal sealed class SyncTaskRepository(ControlDatabase database)
{
    private const string Columns = """
        id, project_id, source_type, source_cloud_type, source_endpoint, source_region, source_bucket, source_prefix,
        destination_bucket, destination_prefix, description, metadata_migration, sync_interval, status, create_time,
        last_start_time, last_pass_time, listed, copied, skipped, failed, bytes, last_error
        """;

    public bool Insert(SyncTask task, int maxPerProject)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var count = connection.CreateCommand();
        count.Transaction = transaction;
        count.CommandText = "SELECT COUNT(*) FROM sync_tasks WHERE project_id = @p";
        count.Bind("@p", task.ProjectId);
        if ((long)count.ExecuteScalar()! >= maxPerProject)
        {
            return false;
        }
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO sync_tasks ({Columns}) VALUES (@id, @p, @st, @sct, @se, @sr, @sb, @sp, @db, @dp, @d, @m, @i, @s, @c, @started, NULL, 0, 0, 0, 0, 0, NULL)";
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
        insert.ExecuteNonQuery();
        transaction.Commit();
        return true;
    }

    public SyncTask? Get(string projectId, string id) => Query("WHERE project_id = @p AND id = @id", ("@p", projectId), ("@id", id)) is [var task, ..] ? task : null;

    public SyncTask? Get(string id) => Query("WHERE id = @id", ("@id", id)) is [var task, ..] ? task : null;

    public IReadOnlyList<SyncTask> List(string projectId) => Query("WHERE project_id = @p ORDER BY create_time, id", ("@p", projectId));

    /// <summary>Every task's id (what the lease filter needs, without reading whole rows).</summary>
    public IReadOnlyList<string> Ids() => database.Query("SELECT id FROM sync_tasks", r => r.GetString(0));

    public IReadOnlyList<SyncTask> All() => Query("ORDER BY create_time, id");

    public bool Delete(string projectId, string id) => database.Execute("DELETE FROM sync_tasks WHERE project_id = @p AND id = @id", ("@p", projectId), ("@id", id)) == 1;

    public void SetStatus(string id, string status, long? startedAt) => database.Execute(
        "UPDATE sync_tasks SET status = @s, last_start_time = COALESCE(@t, last_start_time) WHERE id = @id", ("@id", id), ("@s", status), ("@t", startedAt));

    /// <summary>After a restart no replica holds any keys: every task is stopped until started again.</summary>
    public int StopAll() => database.Execute("UPDATE sync_tasks SET status = 'STOPPED' WHERE status <> 'STOPPED'");

    public void PassDone(string id, long at, long listed, long skipped, string? error) => database.Execute(
        "UPDATE sync_tasks SET last_pass_time = @t, listed = listed + @l, skipped = skipped + @k, last_error = COALESCE(@e, last_error) WHERE id = @id",
        ("@id", id), ("@t", at), ("@l", listed), ("@k", skipped), ("@e", error));

    public void CopyDone(string id, bool copied, long bytes, string? error) => database.Execute(
        "UPDATE sync_tasks SET copied = copied + @c, failed = failed + @f, bytes = bytes + @b, last_error = COALESCE(@e, last_error) WHERE id = @id",
        ("@id", id), ("@c", copied ? 1 : 0), ("@f", copied ? 0 : 1), ("@b", bytes), ("@e", error));

    private List<SyncTask> Query(string where, params (string Name, object? Value)[] parameters) =>
        database.Query($"SELECT {Columns} FROM sync_tasks {where}", Read, parameters);

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
