using OriginGateway.Persistence;
using OriginGateway.Storage;

namespace OriginGateway.Vod;

/// <summary><c>SessionId</c> de-duplication for 3 days, durable in the control database (<c>vod_sessions</c>).</summary>
internal sealed class VodSessions(ControlDatabase database, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(3);

    /// <summary>Records the id; false when it was used within the window.</summary>
    public async Task<bool> TryClaimAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var since = now - (long)Window.TotalMilliseconds;
        return await database.WithConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var purge = connection.CreateCommand();
            purge.Transaction = transaction;
            purge.CommandText = "DELETE FROM vod_sessions WHERE created_at < @since";
            purge.Bind("@since", since);
            await purge.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO vod_sessions (session_id, created_at) VALUES (@id, @now) ON CONFLICT DO NOTHING";
            insert.Bind("@id", sessionId);
            insert.Bind("@now", now);
            var claimed = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return claimed;
        }, cancellationToken).ConfigureAwait(false);
    }
}
