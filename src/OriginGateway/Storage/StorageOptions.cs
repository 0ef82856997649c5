namespace OriginGateway.Storage;

/// <summary>Where a bucket's objects live (<c>Buckets:N:Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary><c>FileSystem</c> (default). <c>S3</c> arrives with the scale-out work.</summary>
    public string Kind { get; set; } = "FileSystem";

    /// <summary>FileSystem: the bucket's directory; empty = <c>{DataDirectory}/buckets/{Name}</c>.</summary>
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
}
