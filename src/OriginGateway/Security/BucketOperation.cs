namespace OriginGateway.Security;

/// <summary>What a data request wants to do with a bucket, for access checks.</summary>
internal enum BucketOperation
{
    /// <summary>GET/HEAD of an object (anonymous on public-read buckets).</summary>
    ReadObject,
    /// <summary>GET of the bucket root (anonymous on public-list buckets).</summary>
    List,
    /// <summary>HEAD of the bucket root (anonymous on public-read or public-list buckets).</summary>
    HeadBucket,
    /// <summary>PUT/DELETE of objects: always signed.</summary>
    Write,
    /// <summary>Bucket sub-resources (<c>?origin</c>, ...): always signed.</summary>
    Configure,
}
