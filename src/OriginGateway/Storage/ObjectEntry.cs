using System.Globalization;

namespace OriginGateway.Storage;

/// <summary>
/// What the store knows about one committed object: enough to answer a hit without touching the
/// disk for metadata. Header values are formatted once, when the entry is made.
/// </summary>
internal sealed class ObjectEntry
{
    private static readonly BoundedStringPool ContentTypes = new(capacity: 256, maxLength: 128);

    // Every committed object has one entry for as long as it is stored, so the entry holds as little as a hit allows: the
    // filesystem store's path is made when asked (from the key and version), the MD5 is the ETag's when they agree, the
    // content type is shared, and the gateway metadata is kept compact, without the provenance (CompactMetadata).
    private readonly string? _location;
    private readonly Func<ObjectEntry, string>? _locate;
    private readonly string? _md5Hex;
    private readonly string? _versionId;

    /// <param name="location">Where the store keeps this version, or null when <paramref name="locate"/> makes it.</param>
    /// <param name="locate">Makes <see cref="Location"/> from the entry when asked (one function per store).</param>
    public ObjectEntry(string key, string? location, long version, long length, string md5Hex, DateTimeOffset lastModified, string contentType, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyDictionary<string, string>? gatewayMetadata, string? etag = null, string? storeTag = null, ObjectAttributes? attributes = null, string? versionId = null, Func<ObjectEntry, string>? locate = null)
    {
        if (location is null && locate is null)
        {
            throw new ArgumentNullException(nameof(location), "An entry needs a location or a way to make it.");
        }
        Key = key;
        _location = location;
        _locate = location is null ? locate : null;
        Version = version;
        Length = length;
        LastModified = new DateTimeOffset(lastModified.Ticks - (lastModified.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        ContentType = ContentTypes.Get(contentType);
        Headers = headers;
        GatewayMetadata = CompactMetadata.Of(gatewayMetadata);
        ETag = etag ?? "\"" + md5Hex + "\"";
        _md5Hex = ETag.Length == md5Hex.Length + 2 && ETag.AsSpan(1, md5Hex.Length).SequenceEqual(md5Hex) ? null : md5Hex;
        StoreTag = storeTag;
        Attributes = attributes ?? ObjectAttributes.Default;
        _versionId = versionId;
        LastModifiedHeader = LastModified.ToString("R", CultureInfo.InvariantCulture);
    }

    public string Key { get; }

    /// <summary>Where the store keeps this version: the filesystem store's file (body first, metadata trailer after it), the S3 store's object key.</summary>
    public string Location => _location ?? _locate!(this);

    /// <summary>Filesystem store: monotonic per key, the highest version on disk is the current one. S3 store: unused (0).</summary>
    public long Version { get; }

    public long Length { get; }

    /// <summary>Lowercase hex MD5 of the content ("" when the store does not know it).</summary>
    public string Md5Hex => _md5Hex ?? ETag.Substring(1, ETag.Length - 2);

    /// <summary>Whole seconds, as HTTP dates carry them.</summary>
    public DateTimeOffset LastModified { get; }

    public string ContentType { get; }

    /// <summary>Stored response headers: Cache-Control, Content-Disposition, Content-Encoding, Expires, Content-Language, x-cos-meta-*.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>
    /// Metadata the gateway keeps for itself and reads at run time (origin ETag, task id, part layout, ...); a pulled
    /// object's provenance (origin URL, pull time) is in its record on disk only (<see cref="CompactMetadata"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> GatewayMetadata { get; }

    /// <summary>Quoted lowercase hex MD5 of the content; for a multipart object, <c>"&lt;md5 of the parts' md5s&gt;-N"</c>.</summary>
    public string ETag { get; }

    public string LastModifiedHeader { get; }

    /// <summary>The backing store's own version tag (the S3 object's ETag), which pins reads to this version; null for the filesystem store.</summary>
    public string? StoreTag { get; }

    /// <summary>The object's ACL and tags.</summary>
    public ObjectAttributes Attributes { get; }

    /// <summary>
    /// Identifies this version of the key within its store (attribute changes are tied to it): the S3 store's
    /// random id; for the filesystem store its version number, formatted only when asked (not kept per object).
    /// </summary>
    public string VersionId => _versionId ?? Version.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>
    /// Filesystem store: the attributes were changed after the write and live in an attribute file beside the
    /// version, which goes when the version goes (a version without one needs no clean-up call).
    /// </summary>
    public bool AttributesFileBeside { get; private init; }

    /// <summary>The same version with other attributes (the body and everything else unchanged).</summary>
    public ObjectEntry WithAttributes(ObjectAttributes attributes, bool fileBeside = false) =>
        new(Key, _location, Version, Length, Md5Hex, LastModified, ContentType, Headers, GatewayMetadata, ETag, StoreTag, attributes, _versionId, _locate)
        {
            AttributesFileBeside = fileBeside,
        };
}
