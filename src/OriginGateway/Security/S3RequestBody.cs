using System.Globalization;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// Puts an S3 request's body behind every check its headers promise, before anything reads it: the
/// <c>aws-chunked</c> framing of a streaming upload taken off (chunk and trailer signatures, trailing
/// checksum, decoded length), the signed SHA-256, and an <c>x-amz-checksum-*</c> header. Every reader —
/// an object or part write, an XML document — then gets the object's bytes, or fails before their end.
/// </summary>
internal static class S3RequestBody
{
    private const string AwsChunked = "aws-chunked";

    /// <summary>
    /// Wraps <paramref name="request"/>'s body; returns the length of the object's bytes (the decoded length of a
    /// streaming upload, else <c>Content-Length</c>), or an error (status, code, message) for headers that cannot hold.
    /// </summary>
    public static (int Status, string Code, string Message)? Prepare(HttpRequest request, CosAuthResult auth, out long? bodyLength)
    {
        bodyLength = request.ContentLength;
        var headers = request.Headers;
        var body = request.Body;
        List<BodyCheck>? checks = null;

        if (auth.Streaming is { } streaming)
        {
            if (!long.TryParse(headers["x-amz-decoded-content-length"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var decoded))
            {
                return (411, "MissingContentLength", "A streaming upload (aws-chunked) must declare the object's length in x-amz-decoded-content-length.");
            }
            ChecksumAlgorithm? trailerChecksum = null;
            if (streaming.Trailer && headers["x-amz-trailer"].ToString() is { Length: > 0 } trailer)
            {
                if (!ContentChecksum.TryParse(trailer.Trim(), out var algorithm) || !trailer.Trim().StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase))
                {
                    return (400, "InvalidRequest", $"x-amz-trailer names '{trailer}'; the trailing header must be one x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1 or -sha256.");
                }
                trailerChecksum = algorithm;
            }
            var chunked = new AwsChunkedStream(body, new AwsChunkedFraming(decoded, streaming.Signing, streaming.Trailer, trailerChecksum));
            if (trailerChecksum is not null)
            {
                request.HttpContext.Features.Set<ITrailingChecksumFeature>(chunked);
            }
            body = chunked;
            bodyLength = decoded;
            // aws-chunked describes the transfer, not the object: the object keeps only the other codings.
            var codings = headers.ContentEncoding.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Where(c => !c.Equals(AwsChunked, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (codings.Length == 0)
            {
                headers.Remove("Content-Encoding");
            }
            else
            {
                headers.ContentEncoding = string.Join(", ", codings);
            }
        }
        else if (auth.PayloadSha256 is { } payloadSha256)
        {
            (checks ??= []).Add(BodyCheck.PayloadSha256(payloadSha256));
        }

        foreach (var (algorithm, value) in ContentChecksum.SentWith(headers))
        {
            if (!ContentChecksum.IsWellFormed(algorithm, value))
            {
                return (400, "InvalidRequest", $"Value for {ContentChecksum.HeaderOf(algorithm)} header is invalid.");
            }
            (checks ??= []).Add(BodyCheck.Checksum(algorithm, value));
        }

        if (checks is not null)
        {
            body = new CheckedBodyStream(body, [.. checks]);
        }
        request.Body = body;
        return null;
    }
}
