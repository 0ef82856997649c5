using Microsoft.Win32.SafeHandles;

namespace OriginGateway.Storage;

/// <summary>An open object: positional reads over the stored body. Dispose to close.</summary>
internal sealed class ObjectReader(SafeFileHandle handle, long length) : IDisposable
{
    public long Length { get; } = length;

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> of the body.</summary>
    public int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

    public ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken) =>
        RandomAccess.ReadAsync(handle, buffer, offset, cancellationToken);

    public void Dispose() => handle.Dispose();
}
