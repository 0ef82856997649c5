using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Win32.SafeHandles;

namespace OriginGateway.Storage;

/// <summary>
/// The on-disk form of one object version: the body from offset 0, then a JSON metadata trailer,
/// then its length (4 bytes, little endian) and an 8-byte magic. Body and metadata live in one
/// file so that a single rename commits both; the body starting at 0 lets a hit read it straight.
/// </summary>
internal static class ObjectFileFormat
{
    private const int FooterLength = 12;
    private const int MaxTrailerLength = 1 << 20;
    private static ReadOnlySpan<byte> Magic => "OGOBJv1\n"u8;

    public static byte[] EncodeTrailer(ObjectTrailer trailer)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(trailer, ObjectTrailerJsonContext.Default.ObjectTrailer);
        var result = new byte[json.Length + FooterLength];
        json.CopyTo(result, 0);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(json.Length), json.Length);
        Magic.CopyTo(result.AsSpan(json.Length + 4));
        return result;
    }

    /// <summary>Reads and checks a file's trailer; null when the file is not a whole object version.</summary>
    public static ObjectTrailer? TryReadTrailer(SafeFileHandle handle)
    {
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength < FooterLength)
        {
            return null;
        }
        Span<byte> footer = stackalloc byte[FooterLength];
        if (RandomAccess.Read(handle, footer, fileLength - FooterLength) != FooterLength || !footer[4..].SequenceEqual(Magic))
        {
            return null;
        }
        var jsonLength = BinaryPrimitives.ReadInt32LittleEndian(footer);
        if (jsonLength <= 0 || jsonLength > MaxTrailerLength || jsonLength > fileLength - FooterLength)
        {
            return null;
        }
        var json = new byte[jsonLength];
        var bodyLength = fileLength - FooterLength - jsonLength;
        if (RandomAccess.Read(handle, json, bodyLength) != jsonLength)
        {
            return null;
        }
        try
        {
            var trailer = JsonSerializer.Deserialize(json, ObjectTrailerJsonContext.Default.ObjectTrailer);
            return trailer is not null && trailer.Length == bodyLength && trailer.Key is not null ? trailer : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The metadata stored behind an object's body.</summary>
internal sealed record ObjectTrailer(
    [property: JsonPropertyName("k")] string Key,
    [property: JsonPropertyName("l")] long Length,
    [property: JsonPropertyName("m")] string Md5Hex,
    [property: JsonPropertyName("t")] long LastModifiedUnixMs,
    [property: JsonPropertyName("c")] string ContentType,
    [property: JsonPropertyName("h")] string[][] Headers,
    [property: JsonPropertyName("g")] Dictionary<string, string>? Gateway,
    [property: JsonPropertyName("e")] string? ETag = null,
    [property: JsonPropertyName("a")] ObjectAttributesRecord? Attributes = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ObjectTrailer))]
internal sealed partial class ObjectTrailerJsonContext : JsonSerializerContext;
