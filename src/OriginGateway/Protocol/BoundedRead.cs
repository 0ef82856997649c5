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
        var read = await ReadUpToAsync(body, limit + 1, idleTimeout, cancellationToken).ConfigureAwait(false);
        return read.Length > limit ? null : read;
    }

    /// <summary>The first <paramref name="limit"/> bytes of a stream (all of it when shorter); reads as <see cref="ReadAsync"/>.</summary>
    public static Task<byte[]> ReadPrefixAsync(Stream body, int limit, CancellationToken cancellationToken, TimeSpan? idleTimeout = null) =>
        ReadUpToAsync(body, limit, idleTimeout, cancellationToken);

    /// <summary>Reads until the stream ends or <paramref name="capacity"/> bytes are in.</summary>
    private static async Task<byte[]> ReadUpToAsync(Stream body, int capacity, TimeSpan? idleTimeout, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        using var idle = idleTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = idle?.Token ?? cancellationToken;
        try
        {
            var length = 0;
            while (length < capacity)
            {
                idle?.CancelAfter(idleTimeout.GetValueOrDefault());
                var read = await body.ReadAsync(buffer.AsMemory(length, capacity - length), token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
