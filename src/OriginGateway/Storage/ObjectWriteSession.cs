using System.Security.Cryptography;

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
    public abstract FileObjectReader OpenStagingReader();

    /// <summary>Verifies the body against the write's declaration and commits it atomically.</summary>
    public abstract Task<ObjectWriteResult> CommitAsync(CancellationToken cancellationToken);

    public abstract void Dispose();

    /// <summary>Appends a stored object's whole body (only the body: reads stop at its length).</summary>
    public Task AppendAsync(ObjectReader reader, CancellationToken cancellationToken) => AppendAsync(reader, 0, reader.Length, cancellationToken);

    /// <summary>Appends <paramref name="length"/> bytes of a stored body from <paramref name="start"/>; <see cref="StoredBodyEndedException"/> when it has fewer.</summary>
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
                    throw new StoredBodyEndedException();
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

/// <summary>
/// A write that streams into a local staging file while hashing it: what every store's session
/// shares. The body starts at offset 0 of the file, so the staging copy can be read while it
/// grows; <see cref="CommitAsync"/> checks size and digest and hands over to the store's own
/// commit. An uncommitted file is deleted on dispose.
/// </summary>
internal abstract class StagingFileSession : ObjectWriteSession
{
    // Origin pulls come many at once from origins that are ahead of them: their bodies are hashed side by side
    // (Md5Lanes). A client's write hashes on its own thread with the platform's MD5.
    private readonly IncrementalHash? _hash;
    private readonly Md5Body? _laneHash;
    private readonly WriteFailureLatch _writeFailures;
    private long _length;
    private bool _done;
    private bool _moved;

    protected StagingFileSession(string key, ObjectWrite write, string path, WriteFailureLatch writeFailures)
    {
        Key = key;
        Write = write;
        StagingPath = path;
        _writeFailures = writeFailures;
        if (!write.Durable && Md5Lanes.IsSupported)
        {
            _laneHash = new Md5Body(Md5Lanes.Shared);
        }
        else
        {
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        }
        File = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    protected string Key { get; }

    /// <summary>The write; at the commit, with its trailing headers among its headers.</summary>
    protected ObjectWrite Write { get; private set; }

    protected string StagingPath { get; }

    protected FileStream File { get; }

    public override long Length => Volatile.Read(ref _length);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        // Page-cache writes are short: written inline, not queued to the thread pool as an
        // asynchronous write on a synchronous handle would be.
        var hashing = ValueTask.CompletedTask;
        if (_laneHash is not null)
        {
            hashing = _laneHash.AppendAsync(data.Span);
        }
        else
        {
            _hash!.AppendData(data.Span);
        }
        try
        {
            File.Write(data.Span);
        }
        catch (IOException e)
        {
            _writeFailures.Record(e);
            throw;
        }
        Volatile.Write(ref _length, _length + data.Length);
        return hashing.IsCompletedSuccessfully ? Written(_length, cancellationToken) : HashedThenWritten(hashing, _length, cancellationToken);
    }

    private async ValueTask HashedThenWritten(ValueTask hashing, long length, CancellationToken cancellationToken)
    {
        await hashing.ConfigureAwait(false);
        await Written(length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Called after each write with the staged length (the S3 store uploads full parts).</summary>
    protected virtual ValueTask Written(long length, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override FileObjectReader OpenStagingReader() =>
        new(System.IO.File.OpenHandle(StagingPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), long.MaxValue);

    public sealed override async Task<ObjectWriteResult> CommitAsync(CancellationToken cancellationToken)
    {
        var write = Write;
        ObjectDisposedException.ThrowIf(_done, this);
        if (_length > write.MaxLength)
        {
            return new(ObjectWriteStatus.TooLarge, null);
        }
        if (write.ExpectedLength is { } expectedLength && _length != expectedLength)
        {
            return new(ObjectWriteStatus.LengthMismatch, null);
        }
        var md5 = _laneHash is not null ? await _laneHash.FinishAsync().ConfigureAwait(false) : _hash!.GetHashAndReset();
        if (write.ExpectedMd5 is { } expectedMd5 && !CryptographicOperations.FixedTimeEquals(md5, expectedMd5))
        {
            return new(ObjectWriteStatus.DigestMismatch, null);
        }
        if (write.TrailingHeaders is { } trailing && !DescribedEarly)
        {
            Write = write with { Headers = [.. write.Headers, .. trailing()], TrailingHeaders = null };
        }
        try
        {
            var entry = await CommitVerifiedAsync(Convert.ToHexStringLower(md5), cancellationToken).ConfigureAwait(false);
            _done = true;
            _writeFailures.Succeeded();
            return new(ObjectWriteStatus.Committed, entry);
        }
        catch (WriteConditionFailedException e)
        {
            // Nothing committed: the staging copy (and an S3 store's upload) go with the session.
            return new(e.Status, null);
        }
        catch (IOException e)
        {
            _writeFailures.Record(e);
            throw;
        }
    }

    /// <summary>Whether the store described the object to its backend before the body ended (its trailing headers then stay out).</summary>
    protected virtual bool DescribedEarly => false;

    /// <summary>Makes the verified body visible as the key's new version.</summary>
    protected abstract Task<ObjectEntry> CommitVerifiedAsync(string md5Hex, CancellationToken cancellationToken);

    /// <summary>Called by a store whose commit moved the staging file into place: there is nothing left to delete.</summary>
    protected void StagingFileMoved() => _moved = true;

    /// <summary>Releases what an uncommitted write holds in the store (an S3 multipart upload).</summary>
    protected virtual void Discard()
    {
    }

    public override void Dispose()
    {
        File.Dispose();
        _hash?.Dispose();
        if (!_done)
        {
            _done = true;
            Discard();
        }
        // The filesystem store renamed a committed file away; the S3 store uploaded it and leaves it here.
        if (!_moved)
        {
            TryDelete(StagingPath);
        }
    }

    /// <summary>Removes what writes interrupted by a crash left in a staging directory (at start-up).</summary>
    public static void Sweep(string stagingDirectory)
    {
        foreach (var leftover in Directory.EnumerateFiles(stagingDirectory))
        {
            TryDelete(leftover);
        }
    }

    /// <summary>Deletes a file, leaving it when it cannot be (it is swept at the next start, never visible as an object).</summary>
    internal static void TryDelete(string path)
    {
        try
        {
            System.IO.File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
