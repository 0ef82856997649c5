namespace OriginGateway.Protocol;

/// <summary>
/// A request body refused while it was read — not the signed payload, a checksum that does not match,
/// a broken <c>aws-chunked</c> framing — with the status, code and message of the answer. Readers fail
/// with it instead of reporting the body's end, so nothing of such a body is ever kept.
/// </summary>
internal sealed class BodyRejectedException(int status, string code, string message) : IOException(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>The body does not hash to the SHA-256 it was signed with (<c>x-amz-content-sha256</c>).</summary>
    public static BodyRejectedException PayloadHashMismatch() =>
        new(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");

    /// <summary>The body's checksum is not the one sent with it.</summary>
    public static BodyRejectedException ChecksumMismatch(ChecksumAlgorithm algorithm) =>
        new(400, "BadDigest", $"The {ContentChecksum.NameOf(algorithm).ToUpperInvariant()} you specified did not match the calculated checksum.");

    /// <summary>Which of <paramref name="exception"/> and its inner exception is a body refusal, if either is.</summary>
    public static BodyRejectedException? Of(Exception exception) =>
        exception as BodyRejectedException ?? exception.InnerException as BodyRejectedException;
}
