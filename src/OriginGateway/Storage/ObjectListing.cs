namespace OriginGateway.Storage;

/// <summary>A LIST request against one bucket's key index.</summary>
internal sealed record ListRequest(string Prefix, string? Delimiter, string Marker, int MaxKeys);

/// <summary>One page of keys in UTF-8 binary order.</summary>
internal sealed record ListResult(
    IReadOnlyList<ObjectEntry> Contents,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    string? NextMarker);
