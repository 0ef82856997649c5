using System.Buffers;

namespace OriginGateway.Protocol;

/// <summary>Reads a whole small document (an API body, a playlist, a URL list) with a size cap.</summary>
internal static class BoundedRead
{
    /// <summary>Reads a stream of at most <paramref name="limit"/> bytes; null when it is longer.</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length, limit + 1 - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > limit)
                {
                    return null;
                }
            }
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
