using System.Buffers;

namespace OriginGateway.Protocol;

/// <summary>Reads a whole small document (an API body, a playlist, a URL list) with a size cap.</summary>
internal static class BoundedRead
{
    /// <summary>
    /// Reads a stream of at most <paramref name="limit"/> bytes; null when it is longer. With <paramref name="idleTimeout"/>
    /// every read waits at most that long (a read that runs out of it throws an <see cref="OperationCanceledException"/>
    /// that <paramref name="cancellationToken"/> did not ask for).
    /// </summary>
    public static async Task<byte[]?> ReadAsync(Stream body, int limit, CancellationToken cancellationToken, TimeSpan? idleTimeout = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        using var idle = idleTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = idle?.Token ?? cancellationToken;
        try
        {
            var length = 0;
            while (true)
            {
                idle?.CancelAfter(idleTimeout.GetValueOrDefault());
                var read = await body.ReadAsync(buffer.AsMemory(length, limit + 1 - length), token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
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
