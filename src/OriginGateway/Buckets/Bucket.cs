using OriginGateway.Multipart;
using OriginGateway.Rules;
using OriginGateway.Storage;

namespace OriginGateway.Buckets;

/// <summary>A configured bucket at run time: its store and uploads in progress, its access settings, its current rule set.</summary>
internal sealed class Bucket(string name, string region, bool publicRead, bool publicList, IObjectStore store, MultipartUploads uploads, string originFile, DateTimeOffset createdAt)
{
    private volatile CompiledRuleSet _rules = CompiledRuleSet.Empty;
    private volatile Cors.CorsConfiguration? _cors;

    public string Name { get; } = name;

    /// <summary>The numeric suffix of the name (COS APPID), or empty.</summary>
    public string AppId { get; } = name.LastIndexOf('-') is var dash and > 0 && name[(dash + 1)..].All(char.IsAsciiDigit) ? name[(dash + 1)..] : "";

    public string Region { get; } = region;

    public bool PublicRead { get; } = publicRead;

    public bool PublicList { get; } = publicList;

    public IObjectStore Store { get; } = store;

    /// <summary>Multipart uploads in progress, kept apart from the objects.</summary>
    public MultipartUploads Uploads { get; } = uploads;

    /// <summary>When the bucket's store was created (its directory's creation time), for ListAllMyBuckets.</summary>
    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>The rule file loaded at start-up when it exists (absolute path).</summary>
    public string OriginFile { get; } = originFile;

    /// <summary>The compiled origin rules; replaced whole when the configuration changes.</summary>
    public CompiledRuleSet Rules
    {
        get => _rules;
        set => _rules = value;
    }

    /// <summary>The CORS configuration; null when the bucket has none (then no CORS headers are added).</summary>
    public Cors.CorsConfiguration? Cors
    {
        get => _cors;
        set => _cors = value;
    }
}
