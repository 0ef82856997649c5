namespace OriginGateway.Storage;

/// <summary>
/// What must hold of a key's current object for a write to commit — a conditional write: no object at all (S3's
/// <c>If-None-Match: *</c>, COS's <c>x-cos-forbid-overwrite: true</c>), or the object with this ETag (<c>If-Match</c>;
/// <c>*</c>: any object). Stores check it at the moment of the commit, so two writers racing for one key cannot both
/// pass it.
/// </summary>
/// <param name="MustNotExist">The key may have no current object.</param>
/// <param name="MustMatchETag">The current object's ETag (quoted or not), or <c>*</c> for any current object; null: no such condition.</param>
internal sealed record WriteCondition(bool MustNotExist, string? MustMatchETag)
{
    /// <summary>
    /// The key still has no object: what a write started by a miss (a fill from the origin) commits under, so that an
    /// object a client wrote meanwhile is never replaced by the origin's.
    /// </summary>
    public static readonly WriteCondition StillAbsent = new(true, null);

    /// <summary>Null when the write may replace <paramref name="current"/>; otherwise how it fails.</summary>
    public ObjectWriteStatus? Check(ObjectEntry? current)
    {
        if (MustNotExist && current is not null)
        {
            return ObjectWriteStatus.PreconditionFailed;
        }
        if (MustMatchETag is { } etag)
        {
            if (current is null)
            {
                return ObjectWriteStatus.NoCurrentObject;
            }
            if (etag != "*" && !string.Equals(etag.Trim().Trim('"'), current.ETag.Trim('"'), StringComparison.Ordinal))
            {
                return ObjectWriteStatus.PreconditionFailed;
            }
        }
        return null;
    }
}

/// <summary>Thrown by a store's commit when the write's <see cref="WriteCondition"/> does not hold; nothing was committed.</summary>
internal sealed class WriteConditionFailedException(ObjectWriteStatus status)
    : Exception($"The write's condition did not hold ({status}); nothing was committed.")
{
    public ObjectWriteStatus Status { get; } = status;
}
