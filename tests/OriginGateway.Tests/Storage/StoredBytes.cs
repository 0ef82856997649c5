using OriginGateway.Storage;

namespace OriginGateway.Tests.Storage;

internal static class StoredBytes
{
    /// <summary>The current object of <paramref name="key"/>, read whole, or null when the store has none.</summary>
    public static async Task<byte[]?> ReadAllAsync(this IObjectStore store, string key)
    {
        if (await store.FindAsync(key, CancellationToken.None) is not { } entry)
        {
            return null;
        }
        using var reader = (await store.OpenAsync(entry, CancellationToken.None))!;
        var buffer = new byte[entry.Length];
        for (var offset = 0; offset < buffer.Length;)
        {
            offset += await reader.ReadAsync(buffer.AsMemory(offset), offset, CancellationToken.None);
        }
        return buffer;
    }
}
