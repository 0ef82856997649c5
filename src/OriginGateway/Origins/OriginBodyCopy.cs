using System.Buffers;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.Origins;

/// <summary>
/// The one copy of an origin body into the store, for Mirror fills and task fills alike: idle
/// timeout per read, truncation reported, never a commit (the caller verifies and commits).
/// </summary>
internal static class OriginBodyCopy
{
    /// <summary>The largest batch written to staging at once; bodies up to this size arrive in one piece.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Why a read of an origin's body threw, when it is the origin's doing: <c>OriginTimeout</c> — the read's idle clock ran
    /// out (a cancellation <paramref name="caller"/> did not ask for) —, or <c>Truncated</c> — the connection closed or broke
    /// before the end of the body; null for anything else (the caller's own cancellation among it).
    /// </summary>
    public static string? ReadFailure(Exception exception, CancellationToken caller) => exception switch
    {
        OperationCanceledException when !caller.IsCancellationRequested => OriginFailure.OriginTimeout,
        IOException or HttpRequestException => OriginFailure.Truncated,
        _ => null,
    };

    /// <summary>
    /// Reads a whole small origin document (a playlist, a URL list) of at most <paramref name="limit"/> bytes, each read waiting
    /// at most <paramref name="idleTimeout"/>: the body and "" — the body null when it is longer than the limit —, or null and
    /// why the origin's body could not be read (<see cref="ReadFailure"/>).
    /// </summary>
    public static async Task<(byte[]? Body, string Failure)> ReadDocumentAsync(HttpResponseMessage response, int limit, TimeSpan idleTimeout, CancellationToken cancellation)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
            return (await BoundedRead.ReadAsync(stream, limit, cancellation, idleTimeout).ConfigureAwait(false), "");
        }
        catch (Exception e) when (ReadFailure(e, cancellation) is { } why)
        {
            return (null, why);
        }
    }

    /// <summary>
    /// Copies an origin body into a staging session, reporting progress; returns the length and a failure reason ("" when whole).
    /// With <paramref name="copy"/> the bytes also go into that array as far as it reaches (a small body kept in memory for its clients).
    /// With <paramref name="resume"/> a body that breaks or stalls part-way is asked for again from where it broke, and the
    /// copy goes on from there (the session, its hash and its readers see one unbroken body).
    /// </summary>
    /// <remarks>
    /// Socket reads return whatever has arrived — a few KiB each when many fills share the cores.
    /// Reads that complete at once are gathered into one batch before it is hashed, written and
    /// published, so a busy gateway makes one write and one wake-up per batch instead of per
    /// segment, while an idle one still forwards every segment as soon as it arrives. A read that
    /// has to wait fills the buffer after the batch, which is processed meanwhile.
    /// </remarks>
    public static async Task<(long Written, string Reason)> CopyAsync(HttpResponseMessage response, ObjectWriteSession session, Action<long>? progress, TimeSpan idleTimeout, CancellationToken cancellation,
        byte[]? copy = null, OriginBodyResume? resume = null)
    {
        long written = 0;
        var declared = OriginResponseRules.DeclaredLength(response);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var hasPending = false;
        HttpResponseMessage? resumed = null;
        Stream? body = null;
        var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        try
        {
            body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
            int start = 0, end = 0;
            ValueTask<int> pending = default;
            while (true)
            {
                // The idle clock restarts for every wait, also for a read carried over from the last batch.
                idle.CancelAfter(idleTimeout);
                if (!hasPending)
                {
                    if (end == ChunkSize)
                    {
                        start = end = 0;
                    }
                    pending = body.ReadAsync(buffer.AsMemory(end, ChunkSize - end), idle.Token);
                }
                hasPending = false;
                int read;
                var failure = "";
                try
                {
                    read = await pending.ConfigureAwait(false);
                    // Gather what has already arrived, without waiting.
                    while (read > 0 && end + read < ChunkSize)
                    {
                        end += read;
                        var next = body.ReadAsync(buffer.AsMemory(end, ChunkSize - end), idle.Token);
                        if (!next.IsCompleted)
                        {
                            pending = next;
                            hasPending = true;
                            read = -1;
                            break;
                        }
                        read = next.GetAwaiter().GetResult();
                    }
                }
                catch (Exception e) when (ReadFailure(e, cancellation) is { } why)
                {
                    (read, failure) = (0, why);
                }
                if (read > 0)
                {
                    end += read;
                }
                // What arrived before a break is kept: a resumption goes on after it.
                if (end > start)
                {
                    await session.WriteAsync(buffer.AsMemory(start, end - start), cancellation).ConfigureAwait(false);
                    if (copy is not null && written < copy.Length)
                    {
                        buffer.AsSpan(start, (int)Math.Min(end - start, copy.Length - written)).CopyTo(copy.AsSpan((int)written));
                    }
                    written += end - start;
                    start = end;
                    if (progress is not null)
                    {
                        progress(written);
                        if (read > 0)
                        {
                            // The batch filled without a wait (the origin is ahead of this fill): let the clients the
                            // batch just woke send it before this fill takes the thread for the next one. Without it a
                            // fill whose origin is fast runs to its end in one go, and with many fills at once on a
                            // few cores their clients' first bytes waited for the fills (cold1m TTFB, bench/README.md).
                            await Task.Yield();
                        }
                    }
                }
                if (read != 0)
                {
                    continue;
                }
                if (failure.Length == 0 && (declared is not { } length || written >= length))
                {
                    return (written, "");
                }
                if (failure.Length == 0)
                {
                    // A framed body that ended short without an error (the ingest would call it truncated too).
                    failure = OriginFailure.Truncated;
                }
                if (resume is null || await resume.NextAsync(written, failure, cancellation).ConfigureAwait(false) is not { } rest)
                {
                    return (written, failure);
                }
                await body.DisposeAsync().ConfigureAwait(false);
                resumed?.Dispose();
                resumed = rest;
                // A chunked body's length is known from the rest's Content-Range: an end short of it is a break too.
                declared ??= rest.Content.Headers.ContentRange?.Length;
                body = await rest.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
                // A stall cancelled the old idle clock for good.
                idle.Dispose();
                idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                start = end = 0;
            }
        }
        finally
        {
            if (body is not null)
            {
                await body.DisposeAsync().ConfigureAwait(false);
            }
            resumed?.Dispose();
            idle.Dispose();
            // A read still in flight (the store failed mid-batch) owns the buffer: it is left to the GC.
            if (!hasPending)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
