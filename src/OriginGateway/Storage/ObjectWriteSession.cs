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

    /// <summary>Appends a stored object's whole body (only the body: reads stop at its length).</summary>
    public Task AppendAsync(ObjectReader reader, CancellationToken cancellationToken) => AppendAsync(reader, 0, reader.Length, cancellationToken);

    /// <summary>Appends <paramref name="length"/> bytes of a stored body from <paramref name="start"/>.</summary>
    public async Task AppendAsync(ObjectReader reader, long start, long length, CancellationToken cancellationToken)
    {
        const int Chunk = 128 * 1024;
        var end = start + length;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            for (var offset = start; offset < end;)
            {
                var read = await reader.ReadAsync(buffer.AsMemory(0, (int)Math.Min(Chunk, end - offset)), offset, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("The stored body ended before its recorded length.");
                }
                await WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                offset += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
