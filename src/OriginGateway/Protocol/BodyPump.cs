using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>Where a response body's bytes come from: a stored object, or a fill still arriving.</summary>
internal interface IBodySource
{
    /// <summary>
    /// Fills <paramref name="buffer"/> with the body's bytes at <paramref name="position"/> (waiting for them if
    /// they are still to come): how many; 0 at the body's end; -1 when the body broke.
    /// </summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken);
}

/// <summary>
/// The one body pump of the data endpoint (hits and Mirror fills alike): bytes go from their source
/// straight into the response pipe, a chunk at a time, without intermediate buffers. A body that breaks,
/// or ends before its declared end, cuts the response — never a short but clean end.
/// </summary>
internal static class BodyPump
{
    /// <summary>No known end: the body ends when its source says so.</summary>
    public const long Open = long.MaxValue;

    /// <summary>Copies [<paramref name="offset"/>, <paramref name="end"/>) of the body; returns the bytes sent (fewer when the client left).</summary>
    public static async Task<long> CopyAsync<TSource>(HttpContext context, TSource source, long offset, long end, int chunkSize)
        where TSource : IBodySource
    {
        var writer = context.Response.BodyWriter;
        var cancellation = context.RequestAborted;
        var position = offset;
        try
        {
            while (position < end)
            {
                var memory = writer.GetMemory((int)Math.Min(end - position, chunkSize));
                var want = (int)Math.Min(Math.Min(memory.Length, end - position), chunkSize);
                var read = await source.ReadAsync(memory[..want], position, cancellation).ConfigureAwait(false);
                if (read <= 0)
                {
                    if (read < 0 || end != Open)
                    {
                        ResponseCut.Abort(context);
                    }
                    break;
                }
                writer.Advance(read);
                position += read;
                var flush = await writer.FlushAsync(cancellation).ConfigureAwait(false);
                if (flush.IsCanceled || flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client left.
        }
        return position - offset;
    }
}
