using Microsoft.Win32.SafeHandles;

namespace OriginGateway.Storage;

/// <summary>
/// An open object: reads at absolute offsets of the stored body. A reader never mixes two versions
/// of a key: it reads the version it was opened on, or fails with an <see cref="IOException"/>.
/// Dispose to close.
/// </summary>
internal abstract class ObjectReader : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> of the body; 0 at its end.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken);

    public abstract void Dispose();
}

/// <summary>
/// A body in a local file (an object of the filesystem store, or any store's staging copy).
/// Reads are positional and run inline: page-cache reads are shorter than a hand-off to the pool.
/// </summary>
internal sealed class FileObjectReader(SafeFileHandle handle, long length) : ObjectReader
{
    public override long Length { get; } = length;

    public int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken) =>
        ValueTask.FromResult(RandomAccess.Read(handle, buffer.Span, offset));

    public override void Dispose() => handle.Dispose();
}
