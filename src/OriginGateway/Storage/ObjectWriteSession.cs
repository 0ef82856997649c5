namespace OriginGateway.Storage;

/// <summary>
/// One object being written: bytes are appended as they arrive (from a client's PUT or an
/// origin), can be read back while the write goes on (joiners of a fill follow the staging copy
/// at their own pace), and become visible only through <see cref="CommitAsync"/>, which verifies
/// length and digest first. Disposing an uncommitted session discards it.
/// </summary>
internal abstract class ObjectWriteSession : IDisposable
{
    /// <summary>Bytes written so far.</summary>
    public abstract long Length { get; }

    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Opens the bytes written so far (and later) for positional reads.</summary>
    public abstract ObjectReader OpenStagingReader();

    /// <summary>Verifies the body against <paramref name="write"/> and commits it atomically.</summary>
    public abstract Task<ObjectWriteResult> CommitAsync(ObjectWrite write, CancellationToken cancellationToken);

    public abstract void Dispose();
}
