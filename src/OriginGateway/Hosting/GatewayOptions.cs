using OriginGateway.Buckets;
using OriginGateway.Egress;
using OriginGateway.FrontDoor;
using OriginGateway.Lifecycle;
using OriginGateway.Origins;
using OriginGateway.Persistence;
using OriginGateway.Security;

namespace OriginGateway.Hosting;

/// <summary>The gateway's settings, bound from the configuration root (<c>04-operations.md</c> §4.2).</summary>
public sealed class GatewayOptions
{
    public EndpointsOptions Endpoints { get; set; } = new();

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

    public List<CredentialOptions> Credentials { get; set; } = [];

    public LimitsOptions Limits { get; set; } = new();

    public DatabaseOptions Database { get; set; } = new();

    /// <summary>How replicas coordinate: <c>Local</c> (default) or <c>Redis</c>.</summary>
    public Coordination.CoordinationOptions Coordination { get; set; } = new();

    public EgressOptions Egress { get; set; } = new();

    public OriginPullOptions OriginPull { get; set; } = new();

    public Tasks.TaskOptions Tasks { get; set; } = new();

    public Callbacks.CallbackOptions Callbacks { get; set; } = new();

    public Vod.VodOptions Vod { get; set; } = new();

    public Oms.OmsOptions Oms { get; set; } = new();

    public Multipart.MultipartOptions Multipart { get; set; } = new();

    public ShutdownOptions Shutdown { get; set; } = new();

    public Observability.MetricsOptions Metrics { get; set; } = new();

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

    /// <summary>The control database's connection string: <c>Database:ConnectionString</c>, else (SQLite) <c>{DataDirectory}/control.db</c>.</summary>
    public string ControlDatabaseConnectionString => Database.ConnectionString.Length > 0
        ? Database.ConnectionString
        : $"Data Source={Path.Combine(DataDirectoryFullPath, "control.db")}";
}
