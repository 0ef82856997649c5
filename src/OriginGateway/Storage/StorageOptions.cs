namespace OriginGateway.Storage;

/// <summary>Where a bucket's objects live (<c>Buckets:N:Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>The store named by <see cref="Kind"/> (call it after the options were validated).</summary>
    internal StorageKind StoreKind => Enum.Parse<StorageKind>(Kind, ignoreCase: true);

    /// <summary><c>FileSystem</c> (default) or <c>S3</c> (an S3-compatible bucket, for several replicas).</summary>
    public string Kind { get; set; } = nameof(StorageKind.FileSystem);

    /// <summary>FileSystem: the bucket's directory; S3: the local staging directory. Empty = <c>{DataDirectory}/buckets/{Name}</c>.</summary>
    public string Path { get; set; } = "";

    /// <summary>FileSystem: fsync each client-written object before its commit rename (default true). Origin pulls are not fsynced: they can be pulled again, and a torn file is discarded at start-up.</summary>
    public bool FlushToDisk { get; set; } = true;

    /// <summary>S3: endpoint URL.</summary>
    public string ServiceUrl { get; set; } = "";

    /// <summary>S3: bucket name.</summary>
    public string BucketName { get; set; } = "";

    /// <summary>S3: region.</summary>
    public string Region { get; set; } = "";

    /// <summary>S3: access key.</summary>
    public string AccessKey { get; set; } = "";

    /// <summary>S3: secret key.</summary>
    public string SecretKey { get; set; } = "";

    /// <summary>S3: where the bucket's objects live in the S3 bucket (key <c>k</c> is <c>{Prefix}k</c>).</summary>
    public string Prefix { get; set; } = "objects/";

    /// <summary>S3: where multipart-upload parts live; must not overlap <see cref="Prefix"/>.</summary>
    public string UploadsPrefix { get; set; } = "uploads/";

    /// <summary>S3: where objects' ACLs and tags live (one small object per object version that has any); must not overlap the other prefixes.</summary>
    public string AttributesPrefix { get; set; } = "attributes/";

    /// <summary>S3: bodies longer than this stream into an S3 multipart upload of parts this long (5 MiB to 5 GiB; default 8 MiB).</summary>
    public long PartSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>S3: the deadline of each call to the S3 endpoint and of each read of a body (transfers get one more second per MiB); a frozen server fails the request with 503 after it.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>S3: the store's own multipart uploads (of large writes) older than this that no replica is writing are aborted by the sweep (every <c>Multipart:SweepInterval</c>).</summary>
    public TimeSpan StaleUploadsAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>S3: how long a replica trusts a lookup it made (other replicas' changes arrive through Coordination sooner). Zero: no cache.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Where a bucket's objects live (<c>Buckets:N:Storage:Kind</c>).</summary>
internal enum StorageKind
{
    FileSystem,
    S3,
}
