using System.Text;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.Tests.Security;

/// <summary>
/// Streaming uploads (<c>aws-chunked</c>) against the S3 API reference's example ("Transferring payload in
/// multiple chunks": a 66,560-byte object of 'a' in a 65,536-byte and a 1,024-byte chunk, its seed and chunk
/// signatures as published), then the trailer forms and every way a body can fail. A failing body must fail
/// before its end is reported: that is what keeps it out of the store.
/// </summary>
public sealed class AwsChunkedStreamTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string Date = "20130524T000000Z";
    private const string Scope = "20130524/us-east-1/s3/aws4_request";
    private const string Seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

    private static readonly byte[] Key = S3Signature.SigningKey(Secret, "20130524", "us-east-1", "s3");

    private static ChunkSigning Signing => new(Key, Date, Scope, Seed);

    [Fact]
    public void SeedSignature_IsThePublishedOne()
    {
        var canonical = S3Signature.CanonicalRequest("PUT", "/examplebucket/chunkObject.txt", [],
            [("content-encoding", "aws-chunked"), ("content-length", "66824"), ("host", "s3.amazonaws.com"),
             ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("x-amz-date", Date),
             ("x-amz-decoded-content-length", "66560"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");

        Assert.Equal(Seed, S3Signature.Signature(Key, S3Signature.StringToSign(Date, Scope, canonical)));
    }

    [Fact]
    public void ChunkSignatures_AreThePublishedOnes()
    {
        var first = S3Signature.ChunkSignature(Key, Date, Scope, Seed, Sha256Hex(new string('a', 65536)));
        var second = S3Signature.ChunkSignature(Key, Date, Scope, first, Sha256Hex(new string('a', 1024)));
        var final = S3Signature.ChunkSignature(Key, Date, Scope, second, S3Signature.EmptyPayloadHash);

        Assert.Equal("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648", first);
        Assert.Equal("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497", second);
        Assert.Equal("b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9", final);
    }

    [Fact]
    public async Task TheExampleBody_DecodesToItsObject()
    {
        var body = SignedBody([65536, 1024]);

        Assert.Equal(66824, body.Length); // the example's Content-Length
        var decoded = await ReadAllAsync(body, new AwsChunkedFraming(66560, Signing, Trailer: false, null));

        Assert.Equal(Encoding.ASCII.GetBytes(new string('a', 66560)), decoded);
    }

    [Fact]
    public async Task ATamperedChunk_IsRefusedBeforeTheEnd()
    {
        var body = SignedBody([65536, 1024]);
        body[66_000] = (byte)'b'; // inside the second chunk's data (65,712 to 66,735)

        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(body, new AwsChunkedFraming(66560, Signing, false, null)));
        Assert.Equal("SignatureDoesNotMatch", refused.Code);
        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public async Task AMissingFinalChunk_IsRefused()
    {
        var body = SignedBody([65536, 1024]);
        var cut = body.AsSpan(0, body.Length - ("0;chunk-signature=".Length + 64 + 4)).ToArray();

        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(cut, new AwsChunkedFraming(66560, Signing, false, null)));
        Assert.Equal("IncompleteBody", refused.Code);
    }

    [Fact]
    public async Task ChunksSwapped_AreRefused()
    {
        // Two chunks of equal size but different data, sent in the wrong order with their own signatures.
        var a = Encoding.ASCII.GetBytes(new string('a', 100));
        var b = Encoding.ASCII.GetBytes(new string('b', 100));
        var sigA = S3Signature.ChunkSignature(Key, Date, Scope, Seed, Sha256Hex(a));
        var sigB = S3Signature.ChunkSignature(Key, Date, Scope, sigA, Sha256Hex(b));
        var final = S3Signature.ChunkSignature(Key, Date, Scope, sigB, S3Signature.EmptyPayloadHash);
        var swapped = Concat(Chunk(b, sigB), Chunk(a, sigA), Chunk([], final), "\r\n"u8.ToArray());

        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(swapped, new AwsChunkedFraming(200, Signing, false, null)));
        Assert.Equal("SignatureDoesNotMatch", refused.Code);
    }

    [Fact]
    public async Task ADecodedLengthOtherThanDeclared_IsRefused()
    {
        var body = SignedBody([65536, 1024]);

        var shorter = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(body, new AwsChunkedFraming(66561, Signing, false, null)));
        var longer = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(body, new AwsChunkedFraming(66000, Signing, false, null)));
        Assert.Equal("IncompleteBody", shorter.Code);
        Assert.Equal("IncompleteBody", longer.Code);
    }

    [Fact]
    public async Task UnsignedChunksWithATrailingChecksum_DecodeAndVerify()
    {
        // What the JavaScript SDK sends for a stream: STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 in the trailer.
        var data = Encoding.ASCII.GetBytes("hello world");
        var crc = ContentChecksum.Of(ChecksumAlgorithm.Crc32, data);
        var body = Encoding.ASCII.GetBytes($"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n");

        var decoded = await ReadAllAsync(body, new AwsChunkedFraming(11, null, Trailer: true, ChecksumAlgorithm.Crc32));

        Assert.Equal(data, decoded);
    }

    [Fact]
    public async Task ATrailingChecksumThatDoesNotMatch_IsBadDigest()
    {
        var wrong = ContentChecksum.Of(ChecksumAlgorithm.Crc32, "hello there"u8);
        var body = Encoding.ASCII.GetBytes($"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:{wrong}\r\n\r\n");

        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(body, new AwsChunkedFraming(11, null, true, ChecksumAlgorithm.Crc32)));
        Assert.Equal("BadDigest", refused.Code);
    }

    [Fact]
    public async Task AMissingTrailer_IsMalformed()
    {
        var body = "b\r\nhello world\r\n0\r\n\r\n"u8.ToArray();

        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(body, new AwsChunkedFraming(11, null, true, ChecksumAlgorithm.Crc32)));
        Assert.Equal("MalformedTrailerError", refused.Code);
    }

    [Fact]
    public async Task SignedChunksWithASignedTrailer_Verify_AndATamperedTrailerIsRefused()
    {
        var data = Encoding.ASCII.GetBytes(new string('z', 5000));
        var sig = S3Signature.ChunkSignature(Key, Date, Scope, Seed, Sha256Hex(data));
        var final = S3Signature.ChunkSignature(Key, Date, Scope, sig, S3Signature.EmptyPayloadHash);
        var crc = ContentChecksum.Of(ChecksumAlgorithm.Crc32C, data);
        var trailerSig = S3Signature.TrailerSignature(Key, Date, Scope, final, Sha256Hex($"x-amz-checksum-crc32c:{crc}\n"));
        byte[] Body(string checksum, string signature) => Concat(Chunk(data, sig), Chunk([], final),
            Encoding.ASCII.GetBytes($"x-amz-checksum-crc32c:{checksum}\r\nx-amz-trailer-signature:{signature}\r\n\r\n"));
        var framing = new AwsChunkedFraming(5000, Signing, Trailer: true, ChecksumAlgorithm.Crc32C);

        Assert.Equal(data, await ReadAllAsync(Body(crc, trailerSig), framing));
        var forged = ContentChecksum.Of(ChecksumAlgorithm.Crc32C, "other"u8);
        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(Body(forged, trailerSig), framing));
        Assert.Equal("SignatureDoesNotMatch", refused.Code);
    }

    [Theory]
    [InlineData("zz\r\nabc\r\n0\r\n\r\n")] // not hexadecimal
    [InlineData("3\nabc\r\n0\r\n\r\n")] // LF without CR
    [InlineData("3\r\nabcd\r\n0\r\n\r\n")] // more data than the size
    [InlineData("3\r\nab")] // ends inside a chunk
    public async Task BrokenFraming_IsRefused(string body)
    {
        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => ReadAllAsync(Encoding.ASCII.GetBytes(body), new AwsChunkedFraming(3, null, false, null)));
        Assert.Equal(400, refused.Status);
    }

    [Theory]
    [InlineData("crc32", "y/Q5Jg==")] // 0xCBF43926
    [InlineData("crc32c", "4waSgw==")] // 0xE3069283
    [InlineData("crc64nvme", "rosUhgp5mIg=")] // 0xAE8B14860A799888
    [InlineData("sha1", "98O8HYCOBHMq32eZZczDTKeuNEE=")]
    [InlineData("sha256", "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=")]
    public void Checksums_OfTheStandardCheckInput(string name, string expected)
    {
        Assert.True(ContentChecksum.TryParse("x-amz-checksum-" + name, out var algorithm));
        // "123456789", the check input of the CRC catalogue; the digests big-endian, in base64.
        Assert.Equal(expected, ContentChecksum.Of(algorithm, "123456789"u8));
        // Appended piecewise, the same.
        using var piecewise = new ContentChecksum(algorithm);
        piecewise.Append("1234"u8);
        piecewise.Append("56789"u8);
        Assert.Equal(expected, piecewise.ToBase64());
    }

    [Fact]
    public async Task CheckedBody_RefusesAHeaderChecksumThatDoesNotMatch()
    {
        var good = new CheckedBodyStream(new MemoryStream("hello"u8.ToArray()), BodyCheck.Checksum(ChecksumAlgorithm.Crc32, ContentChecksum.Of(ChecksumAlgorithm.Crc32, "hello"u8)));
        var bad = new CheckedBodyStream(new MemoryStream("hellO"u8.ToArray()), BodyCheck.Checksum(ChecksumAlgorithm.Crc32, ContentChecksum.Of(ChecksumAlgorithm.Crc32, "hello"u8)));

        await good.CopyToAsync(Stream.Null);
        var refused = await Assert.ThrowsAsync<BodyRejectedException>(() => bad.CopyToAsync(Stream.Null));
        Assert.Equal("BadDigest", refused.Code);
    }

    /// <summary>The example's body: each chunk of 'a' with its signature, then the final chunk.</summary>
    private static byte[] SignedBody(int[] sizes)
    {
        var parts = new List<byte[]>();
        var previous = Seed;
        foreach (var size in sizes)
        {
            var data = Encoding.ASCII.GetBytes(new string('a', size));
            previous = S3Signature.ChunkSignature(Key, Date, Scope, previous, Sha256Hex(data));
            parts.Add(Chunk(data, previous));
        }
        parts.Add(Chunk([], S3Signature.ChunkSignature(Key, Date, Scope, previous, S3Signature.EmptyPayloadHash)));
        parts.Add("\r\n"u8.ToArray());
        return Concat([.. parts]);
    }

    private static byte[] Chunk(byte[] data, string signature) =>
        Concat(Encoding.ASCII.GetBytes($"{data.Length:x};chunk-signature={signature}\r\n"), data, data.Length > 0 ? "\r\n"u8.ToArray() : []);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string Sha256Hex(string text) => Sha256Hex(Encoding.UTF8.GetBytes(text));

    private static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));

    /// <summary>Reads through the decoder in small, uneven reads (as a socket delivers), to the end.</summary>
    private static async Task<byte[]> ReadAllAsync(byte[] body, AwsChunkedFraming framing)
    {
        await using var stream = new AwsChunkedStream(new TrickleStream(body), framing);
        var output = new MemoryStream();
        var buffer = new byte[7919];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }
        return output.ToArray();
    }

    /// <summary>A body delivered at most 1,000 bytes a read, so chunk headers straddle reads.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1000)], cancellationToken);
    }
}
