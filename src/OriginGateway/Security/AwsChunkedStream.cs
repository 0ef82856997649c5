using System.Security.Cryptography;
using System.Text;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// What an S3 streaming upload's chunks are signed with: the request's signing key, its time and scope,
/// and the seed (the request's own signature), which the first chunk's signature chains from.
/// </summary>
internal sealed record ChunkSigning(byte[] SigningKey, string AmzDate, string Scope, string SeedSignature);

/// <summary>
/// How an S3 client framed its upload (<c>Content-Encoding: aws-chunked</c>, the S3 API reference, "Transferring
/// payload in multiple chunks" and "Including trailing headers"): the decoded length it declared
/// (<c>x-amz-decoded-content-length</c>), whether each chunk is signed (<see cref="Signing"/>), and the
/// trailing checksum it promised (<c>x-amz-trailer</c>), if any.
/// </summary>
internal sealed record AwsChunkedFraming(long DecodedLength, ChunkSigning? Signing, bool Trailer, ChecksumAlgorithm? TrailerChecksum);

/// <summary>
/// The object's bytes of an <c>aws-chunked</c> body: the chunk framing is taken off as the body is read,
/// every chunk signature verified against the chain from the seed, the trailer's checksum (and its
/// signature) verified at the end, and the decoded length checked against the declared one. Any failure
/// is a <see cref="BodyRejectedException"/> before the end is reported, so a reader never takes a body
/// that fails as whole.
/// </summary>
internal sealed class AwsChunkedStream : ForwardReadStream, ITrailingChecksumFeature
{
    private const int MaxLineBytes = 4096;
    private const string ChunkSignatureExtension = "chunk-signature=";
    private const string TrailerSignatureHeader = "x-amz-trailer-signature";

    private readonly Stream _inner;
    private readonly AwsChunkedFraming _framing;
    private readonly byte[] _buffer = new byte[MaxLineBytes];
    private readonly IncrementalHash? _chunkHash;
    private readonly ContentChecksum? _checksum;
    private int _start;
    private int _end;
    private State _state = State.Header;
    private long _chunkRemaining;
    private long _decoded;
    private string? _previousSignature;
    private string? _chunkSignature;

    private enum State
    {
        Header,
        Data,
        Done,
    }

    public KeyValuePair<string, string>? Checksum { get; private set; }

    public AwsChunkedStream(Stream inner, AwsChunkedFraming framing)
    {
        _inner = inner;
        _framing = framing;
        _previousSignature = framing.Signing?.SeedSignature;
        _chunkHash = framing.Signing is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _checksum = framing.TrailerChecksum is { } algorithm ? new ContentChecksum(algorithm) : null;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Done:
                    return 0;
                case State.Header:
                    await ReadChunkHeaderAsync(cancellationToken).ConfigureAwait(false);
                    if (_chunkRemaining == 0)
                    {
                        VerifyChunk();
                        await ReadEndAsync(cancellationToken).ConfigureAwait(false);
                        _state = State.Done;
                        return 0;
                    }
                    _state = State.Data;
                    continue;
                default:
                    if (_chunkRemaining == 0)
                    {
                        await ExpectLineEndAsync(cancellationToken).ConfigureAwait(false);
                        VerifyChunk();
                        _state = State.Header;
                        continue;
                    }
                    if (buffer.Length == 0)
                    {
                        return 0;
                    }
                    var wanted = (int)Math.Min(buffer.Length, _chunkRemaining);
                    int read;
                    if (_end > _start)
                    {
                        read = Math.Min(wanted, _end - _start);
                        _buffer.AsSpan(_start, read).CopyTo(buffer.Span);
                        _start += read;
                    }
                    else
                    {
                        read = await _inner.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw Malformed("the body ended inside a chunk");
                        }
                    }
                    var data = buffer.Span[..read];
                    _chunkHash?.AppendData(data);
                    _checksum?.Append(data);
                    _chunkRemaining -= read;
                    _decoded += read;
                    return read;
            }
        }
    }

    /// <summary><c>hex-size[;chunk-signature=sig]</c>: the chunk's length, and its signature when chunks are signed.</summary>
    private async ValueTask ReadChunkHeaderAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw Malformed("the body ended before its final chunk");
        var semicolon = line.IndexOf(';');
        var sizeText = semicolon < 0 ? line : line[..semicolon];
        if (sizeText.Length is 0 or > 16 || !long.TryParse(sizeText, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var size) || size < 0)
        {
            throw Malformed("a chunk size is not a hexadecimal number");
        }
        if (size > _framing.DecodedLength - _decoded)
        {
            throw new BodyRejectedException(400, "IncompleteBody", "The aws-chunked body holds more bytes than x-amz-decoded-content-length declares.");
        }
        _chunkSignature = null;
        if (_framing.Signing is not null)
        {
            var extension = semicolon < 0 ? "" : line[(semicolon + 1)..].Trim();
            if (!extension.StartsWith(ChunkSignatureExtension, StringComparison.Ordinal))
            {
                throw new BodyRejectedException(403, "SignatureDoesNotMatch", "A chunk of a signed streaming upload carries no chunk-signature.");
            }
            _chunkSignature = extension[ChunkSignatureExtension.Length..];
        }
        _chunkRemaining = size;
    }

    /// <summary>The chunk just read must carry the signature of its data chained from the previous one.</summary>
    private void VerifyChunk()
    {
        if (_framing.Signing is not { } signing)
        {
            return;
        }
        var dataHash = Convert.ToHexStringLower(_chunkHash!.GetHashAndReset());
        var expected = S3Signature.ChunkSignature(signing.SigningKey, signing.AmzDate, signing.Scope, _previousSignature!, dataHash);
        if (!SignatureMatches(expected, _chunkSignature!))
        {
            throw new BodyRejectedException(403, "SignatureDoesNotMatch", "A chunk signature of the streaming upload does not match its data.");
        }
        _previousSignature = expected;
    }

    /// <summary>After the final chunk: an empty line, or the trailing headers (and their signature) and an empty line.</summary>
    private async ValueTask ReadEndAsync(CancellationToken cancellationToken)
    {
        if (_decoded != _framing.DecodedLength)
        {
            throw new BodyRejectedException(400, "IncompleteBody", $"The aws-chunked body decodes to {_decoded} bytes, not the {_framing.DecodedLength} x-amz-decoded-content-length declares.");
        }
        if (!_framing.Trailer)
        {
            await ExpectLineEndAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        var trailers = new List<(string Name, string Value)>();
        string? trailerSignature = null;
        // Some clients end the trailer with the connection's end instead of an empty line.
        while (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || trailers.Count > 16)
            {
                throw MalformedTrailer();
            }
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (name == TrailerSignatureHeader)
            {
                trailerSignature = value;
            }
            else
            {
                trailers.Add((name, value));
            }
        }
        if (_framing.Signing is { } signing)
        {
            var canonical = string.Concat(trailers.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.Name + ":" + t.Value + "\n"));
            var expected = S3Signature.TrailerSignature(signing.SigningKey, signing.AmzDate, signing.Scope, _previousSignature!,
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
            if (trailerSignature is null || !SignatureMatches(expected, trailerSignature))
            {
                throw new BodyRejectedException(403, "SignatureDoesNotMatch", "The trailer signature of the streaming upload does not match its trailing headers.");
            }
        }
        if (_checksum is not null)
        {
            var sent = trailers.FirstOrDefault(t => t.Name == _checksum.HeaderName).Value;
            if (sent is null || !ContentChecksum.IsWellFormed(_checksum.Algorithm, sent))
            {
                throw MalformedTrailer();
            }
            if (!string.Equals(sent, _checksum.ToBase64(), StringComparison.Ordinal))
            {
                throw BodyRejectedException.ChecksumMismatch(_checksum.Algorithm);
            }
            Checksum = new(_checksum.HeaderName, sent);
        }
    }

    private static bool SignatureMatches(string expected, string provided) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(provided.ToLowerInvariant()));

    private async ValueTask ExpectLineEndAsync(CancellationToken cancellationToken)
    {
        if (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is not { Length: 0 })
        {
            throw Malformed("a chunk does not end where its size says");
        }
    }

    /// <summary>The next line (without its CRLF), or null at the body's end; a line longer than the limit is malformed.</summary>
    private async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsSpan(_start, newline);
                _start += newline + 1;
                if (line.Length == 0 || line[^1] != (byte)'\r')
                {
                    throw Malformed("a line does not end with CRLF");
                }
                return Encoding.ASCII.GetString(line[..^1]);
            }
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                throw Malformed("a chunk header or trailer line is too long");
            }
            var read = await _inner.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end > _start)
                {
                    throw Malformed("the body ended inside a line");
                }
                return null;
            }
            _end += read;
        }
    }

    private static BodyRejectedException Malformed(string what) =>
        new(400, "IncompleteBody", $"The aws-chunked body is malformed: {what}.");

    private static BodyRejectedException MalformedTrailer() =>
        new(400, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not carry the checksum x-amz-trailer names.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _chunkHash?.Dispose();
            _checksum?.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// An S3 streaming upload's trailing checksum (the <c>x-amz-checksum-*</c> its <c>x-amz-trailer</c> promised): null until
/// the body was read to its end and the checksum held. A request feature, set when such a trailer is promised.
/// </summary>
internal interface ITrailingChecksumFeature
{
    KeyValuePair<string, string>? Checksum { get; }
}
