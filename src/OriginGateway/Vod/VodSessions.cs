using OriginGateway.Persistence;

namespace OriginGateway.Vod;

/// <summary><c>SessionId</c> de-duplication for 3 days, durable in the control database (<c>vod_sessions</c>).</summary>
internal sealed class VodSessions(ControlDatabase database, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(3);

    /// <summary>Records the id; false when it was used within the window.</summary>
    public bool TryClaim(string sessionId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var since = now - (long)Window.TotalMilliseconds;
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var purge = connection.CreateCommand();
        purge.Transaction = transaction;
        purge.CommandText = "DELETE FROM vod_sessions WHERE created_at < @since";
        purge.Bind("@since", since);
        purge.ExecuteNonQuery();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO vod_sessions (session_id, created_at) VALUES (@id, @now) ON CONFLICT DO NOTHING";
        insert.Bind("@id", sessionId);
        insert.Bind("@now", now);
        var claimed = insert.ExecuteNonQuery() == 1;
        transaction.Commit();
        return claimed;
    }
}
