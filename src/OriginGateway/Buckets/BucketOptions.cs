using OriginGateway.Storage;

namespace OriginGateway.Buckets;

/// <summary>One bucket (<c>Buckets:N</c>).</summary>
public sealed class BucketOptions
{
    /// <summary>Bucket name, COS style <c>name-APPID</c> (lower-case letters, digits, hyphens).</summary>
    public string Name { get; set; } = "";

    /// <summary>Virtual-host names that select this bucket (port ignored).</summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary>Anonymous GET/HEAD of objects allowed. Default false.</summary>
    public bool PublicRead { get; set; }

    /// <summary>Anonymous LIST allowed. Default false.</summary>
    public bool PublicList { get; set; }

    /// <summary>Region id (e.g. <c>ap-guangzhou</c>); matched by policy resources when set.</summary>
    public string Region { get; set; } = "";

    /// <summary>Rule file; default <c>config/origin/{Name}.xml</c> under the application directory.</summary>
    public string OriginFile { get; set; } = "";

    public StorageOptions Storage { get; set; } = new();
}
