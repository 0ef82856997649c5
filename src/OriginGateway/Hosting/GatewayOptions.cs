using OriginGateway.Buckets;
using OriginGateway.Configuration;
using OriginGateway.Security;

namespace OriginGateway.Hosting;

/// <summary>
/// The settings the composition root owns, bound from the configuration root (<c>04-operations.md</c> §4.2): the data
/// directory, the buckets, service hosts, credentials, forwarded headers. Every feature binds and checks its own section.
/// </summary>
public sealed class GatewayOptions : ISettingsSection<GatewayOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, GatewayOptions target) => section.Bind(target);

    /// <summary>Root of the embedded stores; relative paths resolve against the working directory. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>The bucket that takes requests no host or path names; empty = none.</summary>
    public string DefaultBucket { get; set; } = "";

    public List<BucketOptions> Buckets { get; set; } = [];

    /// <summary>
    /// Host names of the service endpoint, where <c>GET /</c> lists the caller's buckets (ListAllMyBuckets);
    /// <c>*</c> stands for one label. Default <c>service.cos.myqcloud.com</c> and <c>cos.*.myqcloud.com</c>,
    /// the names the COS SDKs use. Without a default bucket, <c>GET /</c> on any host that names no bucket lists them too.
    /// </summary>
    public List<string>? ServiceHosts { get; set; }

    /// <summary><see cref="ServiceHosts"/>, or its defaults when it is not set.</summary>
    public IReadOnlyList<string> ServiceHostsOrDefault => ServiceHosts ?? ["service.cos.myqcloud.com", "cos.*.myqcloud.com"];

    /// <summary>
    /// Domains under which S3 tools address buckets virtual-host style (<c>s3.example.test</c>:
    /// <c>&lt;bucket&gt;.s3.example.test</c> names the bucket; a name no bucket has is NoSuchBucket). The domain
    /// itself is a service host and takes path-style requests. Default none.
    /// </summary>
    public List<string> S3Domains { get; set; } = [];

    public List<CredentialOptions> Credentials { get; set; } = [];

    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();

    /// <summary>The absolute data directory.</summary>
    public string DataDirectoryFullPath => Path.GetFullPath(DataDirectory, Directory.GetCurrentDirectory());

    /// <summary>A bucket's store directory: its <c>Storage:Path</c>, else <c>{DataDirectory}/buckets/{Name}</c>.</summary>
    public string StorePath(BucketOptions bucket) => bucket.Storage.Path.Length > 0
        ? Path.GetFullPath(bucket.Storage.Path, Directory.GetCurrentDirectory())
        : Path.Combine(DataDirectoryFullPath, "buckets", bucket.Name);

    /// <summary>
    /// A bucket's rule file: its <c>OriginFile</c>, relative to the working directory like every path a
    /// user gives; else <c>config/origin/{Name}.xml</c> under the application directory (it travels with the build).
    /// </summary>
    public static string OriginFilePath(BucketOptions bucket) => bucket.OriginFile.Length > 0
        ? Path.GetFullPath(bucket.OriginFile, Directory.GetCurrentDirectory())
        : Path.Combine(AppContext.BaseDirectory, "config", "origin", bucket.Name + ".xml");
}
