namespace OriginGateway.Storage;

/// <summary>What a writer hands the store besides the body.</summary>
/// <param name="ContentType">Stored Content-Type (null → application/octet-stream).</param>
/// <param name="Headers">Stored response headers, names in lower case.</param>
/// <param name="ExpectedMd5">When set, the body's MD5 must equal it or nothing is stored.</param>
/// <param name="ExpectedLength">When set, the body must be exactly this long or nothing is stored.</param>
/// <param name="MaxLength">Bodies longer than this are refused.</param>
/// <param name="GatewayMetadata">Gateway-private metadata kept with the object.</param>
/// <param name="ETag">
/// The ETag to keep when it is not the content's MD5 (a multipart object's <c>"&lt;md5 of part md5s&gt;-N"</c>, quoted).
/// </param>
/// <param name="Attributes">The new object's ACL and tags (null: the defaults).</param>
/// <param name="Condition">What must hold of the key's current object when the write commits (null: nothing).</param>
/// <param name="TrailingHeaders">
/// Stored headers known only once the body was read to its end (an S3 upload's trailing checksum): added at the commit.
/// </param>
/// <param name="Durable">
/// Flush to stable storage before the commit (where the store is configured to): true for client
/// writes, which exist nowhere else; false for origin pulls, which can be pulled again.
/// </param>
internal sealed record ObjectWrite(
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? ExpectedMd5,
    long? ExpectedLength,
    long MaxLength,
    IReadOnlyDictionary<string, string>? GatewayMetadata = null,
    bool Durable = false,
    string? ETag = null,
    ObjectAttributes? Attributes = null,
    WriteCondition? Condition = null,
    Func<IReadOnlyList<KeyValuePair<string, string>>>? TrailingHeaders = null);

/// <summary>How a write ended; failures are values, not exceptions.</summary>
internal enum ObjectWriteStatus
{
    Committed,
    DigestMismatch,
    TooLarge,
    LengthMismatch,

    /// <summary>The write's <see cref="WriteCondition"/> did not hold: the key has an object, or not the one named.</summary>
    PreconditionFailed,

    /// <summary>The write's <see cref="WriteCondition"/> named an object (<c>If-Match</c>) and the key has none.</summary>
    NoCurrentObject,
}

internal readonly record struct ObjectWriteResult(ObjectWriteStatus Status, ObjectEntry? Entry);
