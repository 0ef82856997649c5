namespace OriginGateway.Protocol;

/// <summary>A digest a body must have at its end, and what refuses it when it has not.</summary>
internal sealed record BodyCheck(ChecksumAlgorithm Algorithm, string ExpectedBase64, Func<BodyRejectedException> Refusal)
{
    /// <summary>The SHA-256 an S3 signature covers (<c>x-amz-content-sha256</c>, in hex).</summary>
    public static BodyCheck PayloadSha256(string hex) =>
        new(ChecksumAlgorithm.Sha256, Convert.ToBase64String(Convert.FromHexString(hex)), BodyRejectedException.PayloadHashMismatch);

    /// <summary>An <c>x-amz-checksum-*</c> value sent with the body.</summary>
    public static BodyCheck Checksum(ChecksumAlgorithm algorithm, string base64) =>
        new(algorithm, base64, () => BodyRejectedException.ChecksumMismatch(algorithm));
}

/// <summary>
/// A request body read through its checks: at its end every digest must be the expected one, else the
/// read fails with the check's <see cref="BodyRejectedException"/> instead of reporting the end — so no
/// reader (a store write, an XML parser) ever takes a body that is not the one sent as whole.
/// </summary>
internal sealed class CheckedBodyStream : ForwardReadStream
{
    private readonly Stream _inner;
    private readonly BodyCheck[] _checks;
    private readonly ContentChecksum[] _digests;
    private bool _checked;

    public CheckedBodyStream(Stream inner, params BodyCheck[] checks)
    {
        _inner = inner;
        _checks = checks;
        _digests = [.. checks.Select(c => new ContentChecksum(c.Algorithm))];
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Checked(buffer.Span[..read], read);
    }

    private int Checked(ReadOnlySpan<byte> data, int read)
    {
        if (read > 0)
        {
            foreach (var digest in _digests)
            {
                digest.Append(data);
            }
            return read;
        }
        if (!_checked)
        {
            _checked = true;
            for (var i = 0; i < _checks.Length; i++)
            {
                if (!string.Equals(_digests[i].ToBase64(), _checks[i].ExpectedBase64, StringComparison.Ordinal))
                {
                    throw _checks[i].Refusal();
                }
            }
        }
        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var digest in _digests)
            {
                digest.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
