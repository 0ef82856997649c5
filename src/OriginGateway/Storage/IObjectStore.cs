using OriginGateway.Protocol;

namespace OriginGateway.Storage;

/// <summary>
/// One bucket's objects. Readers never see a half-written object: a write becomes visible whole,
/// after it is complete and verified, or not at all.
/// </summary>
internal interface IObjectStore
{
    /// <summary>The committed entry for a key; null when the key is absent.</summary>
    ValueTask<ObjectEntry?> FindAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Opens <paramref name="length"/> bytes of the entry's body from <paramref name="offset"/> for
    /// reading (a reader may read other ranges too, at a cost). Returns null when the object vanished
    /// or changed since <see cref="FindAsync"/>; the caller looks the key up again.
    /// </summary>
    ValueTask<ObjectReader?> OpenAsync(ObjectEntry entry, long offset, long length, CancellationToken cancellationToken);

    /// <summary>
    /// Starts writing a new version of a key, declared by <paramref name="write"/> (metadata, and what the
    /// body must be); nothing is visible until it is committed.
    /// </summary>
    ObjectWriteSession BeginWrite(string key, ObjectWrite write);

    /// <summary>Drops whatever this replica remembers about a key (another replica may have changed it).</summary>
    void Forget(string key);

    /// <summary>
    /// Replaces the ACL and tags of the version <paramref name="entry"/> describes, without touching its
    /// body. Returns the updated entry, or null when that version is no longer the key's current one
    /// (the caller looks the key up again).
    /// </summary>
    ValueTask<ObjectEntry?> SetAttributesAsync(ObjectEntry entry, ObjectAttributes attributes, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a key; true when it existed. With a <paramref name="condition"/> (a conditional delete: <c>If-Match</c>)
    /// the key's object is removed only when the condition holds for it at that moment; otherwise nothing is removed and
    /// <see cref="WriteConditionFailedException"/> says why.
    /// </summary>
    ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken, WriteCondition? condition = null);

    ValueTask<ListResult> ListAsync(ListRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what unfinished writes left in the store itself and nothing will finish (an S3 store's own
    /// multipart uploads older than its <c>StaleUploadsAfter</c>, of a replica that died or an abort that
    /// never got through); returns how many.
    /// </summary>
    ValueTask<int> SweepAbandonedWritesAsync(CancellationToken cancellationToken);

    /// <summary>Checks the store can be used (for readiness): null when it can, else the problem.</summary>
    ValueTask<string?> CheckHealthAsync(CancellationToken cancellationToken);
}

internal static class ObjectStoreExtensions
{
    private const int CopyBufferSize = 128 * 1024;

    /// <summary>Opens the entry's whole body.</summary>
    public static ValueTask<ObjectReader?> OpenAsync(this IObjectStore store, ObjectEntry entry, CancellationToken cancellationToken) =>
        store.OpenAsync(entry, 0, entry.Length, cancellationToken);

    /// <summary>
    /// Streams a body into a write session, verifies it, and commits it atomically. A failure to read
    /// <paramref name="body"/> (the client's side) is thrown as <see cref="BodyReadException"/>; anything
    /// else thrown is the store's.
    /// </summary>
    public static async Task<ObjectWriteResult> PutAsync(this IObjectStore store, string key, Stream body, ObjectWrite write, CancellationToken cancellationToken)
    {
        using var session = store.BeginWrite(key, write);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = await ReadBodyAsync(body, buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await session.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                if (session.Length > write.MaxLength)
                {
                    return new(ObjectWriteStatus.TooLarge, null);
                }
                if (session.Length > write.ExpectedLength)
                {
                    return new(ObjectWriteStatus.LengthMismatch, null);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return await session.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<int> ReadBodyAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new BodyReadException(e);
        }
    }
}
