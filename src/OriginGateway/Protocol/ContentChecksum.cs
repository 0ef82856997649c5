using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>The whole-object checksums S3 clients send and ask for (<c>x-amz-checksum-*</c>).</summary>
internal enum ChecksumAlgorithm
{
    Crc32,
    Crc32C,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// <summary>
/// One of S3's additional checksums computed over a body as it passes: the value is base64 of the
/// big-endian digest (the S3 API reference, "Checking object integrity"). CRC32 is the IEEE polynomial,
/// CRC32C Castagnoli's (the processor's instruction where it has one), CRC64NVME the NVMe polynomial
/// (reflected, all bits set at start and end).
/// </summary>
internal sealed class ContentChecksum : IDisposable
{
    private const string HeaderPrefix = "x-amz-checksum-";

    private static readonly ulong[] Crc64NvmeTable = BuildCrc64Table(0x9A6C9329AC4BC9B5UL);

    private readonly Crc32? _crc32;
    private readonly IncrementalHash? _hash;
    private uint _crc32c = uint.MaxValue;
    private ulong _crc64 = ulong.MaxValue;

    public ContentChecksum(ChecksumAlgorithm algorithm)
    {
        Algorithm = algorithm;
        switch (algorithm)
        {
            case ChecksumAlgorithm.Crc32:
                _crc32 = new Crc32();
                break;
            case ChecksumAlgorithm.Sha1:
                _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
                break;
            case ChecksumAlgorithm.Sha256:
                _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                break;
        }
    }

    public ChecksumAlgorithm Algorithm { get; }

    /// <summary>The header that carries this checksum: <c>x-amz-checksum-crc32</c>, …</summary>
    public string HeaderName => HeaderOf(Algorithm);

    public static string HeaderOf(ChecksumAlgorithm algorithm) => HeaderPrefix + NameOf(algorithm);

    /// <summary>The algorithm's name in S3's lower-case spelling (<c>crc32c</c>, <c>crc64nvme</c>, …).</summary>
    public static string NameOf(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 => "crc32",
        ChecksumAlgorithm.Crc32C => "crc32c",
        ChecksumAlgorithm.Crc64Nvme => "crc64nvme",
        ChecksumAlgorithm.Sha1 => "sha1",
        _ => "sha256",
    };

    /// <summary>The algorithm a header or algorithm name names (<c>x-amz-checksum-crc32</c>, <c>CRC32</c>), case-insensitively.</summary>
    public static bool TryParse(string name, out ChecksumAlgorithm algorithm)
    {
        var bare = name.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase) ? name[HeaderPrefix.Length..] : name;
        foreach (var candidate in Enum.GetValues<ChecksumAlgorithm>())
        {
            if (string.Equals(bare, NameOf(candidate), StringComparison.OrdinalIgnoreCase))
            {
                algorithm = candidate;
                return true;
            }
        }
        algorithm = default;
        return false;
    }

    /// <summary>The <c>x-amz-checksum-*</c> headers a request carries (values as sent, not yet checked).</summary>
    public static List<(ChecksumAlgorithm Algorithm, string Value)> SentWith(IHeaderDictionary headers)
    {
        var sent = new List<(ChecksumAlgorithm, string)>();
        foreach (var algorithm in Enum.GetValues<ChecksumAlgorithm>())
        {
            if (headers[HeaderOf(algorithm)].ToString() is { Length: > 0 } value)
            {
                sent.Add((algorithm, value));
            }
        }
        return sent;
    }

    /// <summary>The number of bytes of the algorithm's digest (what a valid base64 value decodes to).</summary>
    public static int DigestLength(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 or ChecksumAlgorithm.Crc32C => 4,
        ChecksumAlgorithm.Crc64Nvme => 8,
        ChecksumAlgorithm.Sha1 => 20,
        _ => 32,
    };

    /// <summary>Whether <paramref name="value"/> is base64 of a digest of the algorithm's length.</summary>
    public static bool IsWellFormed(ChecksumAlgorithm algorithm, string value)
    {
        Span<byte> digest = stackalloc byte[32];
        return Convert.TryFromBase64String(value, digest, out var written) && written == DigestLength(algorithm);
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        switch (Algorithm)
        {
            case ChecksumAlgorithm.Crc32:
                _crc32!.Append(data);
                break;
            case ChecksumAlgorithm.Crc32C:
                _crc32c = Crc32C(_crc32c, data);
                break;
            case ChecksumAlgorithm.Crc64Nvme:
                var crc = _crc64;
                foreach (var b in data)
                {
                    crc = Crc64NvmeTable[(byte)(crc ^ b)] ^ (crc >> 8);
                }
                _crc64 = crc;
                break;
            default:
                _hash!.AppendData(data);
                break;
        }
    }

    /// <summary>The checksum of everything appended, base64 as S3 writes it.</summary>
    public string ToBase64()
    {
        Span<byte> digest = stackalloc byte[32];
        int length;
        switch (Algorithm)
        {
            case ChecksumAlgorithm.Crc32:
                BinaryPrimitives.WriteUInt32BigEndian(digest, _crc32!.GetCurrentHashAsUInt32());
                length = 4;
                break;
            case ChecksumAlgorithm.Crc32C:
                BinaryPrimitives.WriteUInt32BigEndian(digest, ~_crc32c);
                length = 4;
                break;
            case ChecksumAlgorithm.Crc64Nvme:
                BinaryPrimitives.WriteUInt64BigEndian(digest, ~_crc64);
                length = 8;
                break;
            default:
                length = _hash!.GetCurrentHash(digest);
                break;
        }
        return Convert.ToBase64String(digest[..length]);
    }

    /// <summary>The checksum of <paramref name="data"/> in one call.</summary>
    public static string Of(ChecksumAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        using var checksum = new ContentChecksum(algorithm);
        checksum.Append(data);
        return checksum.ToBase64();
    }

    public void Dispose() => _hash?.Dispose();

    private static uint Crc32C(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return crc;
    }

    private static ulong[] BuildCrc64Table(ulong reflectedPolynomial)
    {
        var table = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var value = (ulong)i;
            for (var bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (value >> 1) ^ reflectedPolynomial : value >> 1;
            }
            table[i] = value;
        }
        return table;
    }
}
