using System.Security.Cryptography;

namespace OriginGateway.Protocol;

/// <summary>The request body's SHA-256 is not the one the request was signed with (S3's <c>XAmzContentSHA256Mismatch</c>).</summary>
internal sealed class PayloadHashMismatchException() : IOException("The provided 'x-amz-content-sha256' header does not match what was computed.");

/// <summary>
/// A request body read through a SHA-256 check: at its end the hash must be the expected one, else the
/// read fails with <see cref="PayloadHashMismatchException"/> instead of reporting the end — so no reader
/// (a store write, an XML parser) ever takes a body that is not the signed one as whole.
/// </summary>
internal sealed class PayloadHashStream(Stream inner, string expectedHex) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _checked;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Checked(buffer.Span[..read], read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        return Checked(buffer.AsSpan(offset, read), read);
    }

    private int Checked(ReadOnlySpan<byte> data, int read)
    {
        if (read > 0)
        {
            _hash.AppendData(data);
            return read;
        }
        if (!_checked)
        {
            _checked = true;
            if (!string.Equals(Convert.ToHexStringLower(_hash.GetHashAndReset()), expectedHex, StringComparison.Ordinal))
            {
                throw new PayloadHashMismatchException();
            }
        }
        return 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
