using OriginGateway.Storage;

namespace OriginGateway.Buckets;

/// <summary>A configured bucket at run time: its store and uploads in progress, its access settings, its current rule set.</summary>
internal sealed class Bucket(string name, string region, bool publicRead, bool publicList, IObjectStore store, IObjectStore uploadStore, string originFile, DateTimeOffset createdAt)
{
    public string Name { get; } = name;

    /// <summary>The numeric suffix of the name (COS APPID), or empty.</summary>
    public string AppId { get; } = name.LastIndexOf('-') is var dash and > 0 && name[(dash + 1)..].All(char.IsAsciiDigit) ? name[(dash + 1)..] : "";

    public string Region { get; } = region;

    public bool PublicRead { get; } = publicRead;

    public bool PublicList { get; } = publicList;

    public IObjectStore Store { get; } = store;

    /// <summary>Multipart uploads in progress, kept apart from the objects.</summary>
    public IObjectStore UploadStore { get; } = uploadStore;

    /// <summary>When the bucket's store was created (its directory's creation time), for ListAllMyBuckets.</summary>
    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>The rule file loaded at start-up when it exists (absolute path).</summary>
    public string OriginFile { get; } = originFile;
}
