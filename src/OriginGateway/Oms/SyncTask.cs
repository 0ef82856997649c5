namespace OriginGateway.Oms;

/// <summary>
/// A sync task as stored: where from, where to, how often, and what it did — never its keys
/// (<see cref="SyncKeys"/> holds those, in the owning replica's memory only).
/// </summary>
internal sealed record SyncTask
{
    public required string Id { get; init; }

    public required string ProjectId { get; init; }

    /// <summary><c>S3</c> (any S3-compatible endpoint; OMS's cloud names are aliases) or <c>URLList</c>.</summary>
    public required string SourceType { get; init; }

    /// <summary>The cloud type as the client sent it (echoed).</summary>
    public required string SourceCloudType { get; init; }

    public required string SourceEndpoint { get; init; }

    public string SourceRegion { get; init; } = "";

    public string SourceBucket { get; init; } = "";

    public string SourcePrefix { get; init; } = "";

    public required string DestinationBucket { get; init; }

    public string DestinationPrefix { get; init; } = "";

    public string Description { get; init; } = "";

    public bool MetadataMigration { get; init; }

    public int SyncInterval { get; init; } = 60;

    /// <summary><c>SYNCHRONIZING</c> or <c>STOPPED</c>.</summary>
    public required string Status { get; init; }

    public long CreateTime { get; init; }

    public long? LastStartTime { get; init; }

    public long? LastPassTime { get; init; }

    public long Listed { get; init; }

    public long Copied { get; init; }

    public long Skipped { get; init; }

    public long Failed { get; init; }

    public long Bytes { get; init; }

    public string? LastError { get; init; }
}
