using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OriginGateway.Admin;
using OriginGateway.Buckets;
using OriginGateway.Callbacks;
using OriginGateway.Configuration;
using OriginGateway.Coordination;
using OriginGateway.Cors;
using OriginGateway.Egress;
using OriginGateway.FetchTasks;
using OriginGateway.FrontDoor;
using OriginGateway.Lifecycle;
using OriginGateway.Multipart;
using OriginGateway.Observability;
using OriginGateway.Oms;
using OriginGateway.OriginPull;
using OriginGateway.Origins;
using OriginGateway.Persistence;
using OriginGateway.Rules;
using OriginGateway.Security;
using OriginGateway.Storage;
using OriginGateway.Tasks;
using OriginGateway.Vod;

namespace OriginGateway.Hosting;

/// <summary>Registers the gateway's services.</summary>
internal static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The composition root: the root settings (<see cref="GatewayOptions"/>), then every feature wiring itself
    /// (each binds and checks its own section), then the buckets and readiness.
    /// </summary>
    public static IServiceCollection AddOriginGateway(this IServiceCollection services, IConfiguration configuration, GatewayOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSettings<GatewayOptions, GatewayOptionsValidator>(configuration, "");
        services.AddLifecycle(configuration);
        services.AddGatewayMetrics(configuration);
        services.AddControlDatabase(configuration, $"Data Source={Path.Combine(options.DataDirectoryFullPath, "control.db")}");
        var redis = services.AddCoordination(configuration);
        services.AddEgress(configuration);
        services.AddSingleton<S3ClientFactory>();
        var hot = services.AddSettings<HotObjectOptions, HotObjectOptionsValidator>(configuration, "HotObjects");
        services.AddSingleton(sp =>
        {
            var cache = new HotObjectCache(hot.CacheSize, hot.MaxObjectSize);
            sp.GetRequiredService<GatewayMetrics>().ObserveHotCache(() => (cache.Bytes, cache.Count));
            return cache;
        });
        services.AddSingleton(sp => CreateBuckets(sp, options));
        services.AddAccessControl(options.Credentials);
        services.AddFrontDoor(configuration);
        services.AddOriginRules();
        services.AddOrigins(configuration);
        services.AddTaskEngine(configuration);
        services.AddCallbacks(configuration);
        services.AddOriginPull();
        services.AddFetchTasks();
        services.AddVod(configuration);
        services.AddOms(configuration);
        services.AddBucketCors();
        services.AddMultipart(configuration);
        services.AddAdmin();

        // Readiness: the dependencies are probed in the background; /readyz reads the last results.
        List<(string Name, Func<IServiceProvider, IHealthCheck> Check)> probes =
        [
            ("database", sp => ActivatorUtilities.CreateInstance<DatabaseHealthCheck>(sp)),
            ("stores", sp => ActivatorUtilities.CreateInstance<StoreHealthCheck>(sp)),
        ];
        if (redis)
        {
            probes.Add(("coordination", sp => ActivatorUtilities.CreateInstance<CoordinationHealthCheck>(sp)));
        }
        services.AddSingleton<Dependencies.DependencyMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<Dependencies.DependencyMonitor>());
        var health = services.AddHealthChecks()
            .AddCheck<StartupHealthCheck>("configuration", tags: ["ready"])
            .AddCheck<DrainingHealthCheck>("draining", tags: ["ready"]);
        foreach (var (name, check) in probes)
        {
            services.AddSingleton(sp => new Dependencies.DependencyProbe(name, check(sp)));
            health.Add(new HealthCheckRegistration(name,
                sp => new Dependencies.MonitoredHealthCheck(sp.GetRequiredService<Dependencies.DependencyMonitor>(), name), null, ["ready"]));
        }
        return services;
    }

    private static BucketRegistry CreateBuckets(IServiceProvider services, GatewayOptions options)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var storeLogger = services.GetRequiredService<ILoggerFactory>().CreateLogger<FileSystemObjectStore>();
        var s3Logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<S3ObjectStore>();
        var bus = services.GetRequiredService<Coordination.IClusterBus>();
        var buckets = options.Buckets.Select(b =>
        {
            var root = options.StorePath(b);
            IObjectStore store, uploadStore;
            if (b.Storage.StoreKind == StorageKind.S3)
            {
                var s = b.Storage;
                var client = services.GetRequiredService<S3ClientFactory>().CreateForStorage(s.ServiceUrl, s.Region, s.AccessKey, s.SecretKey);
                store = new S3ObjectStore(client, s.BucketName, s.Prefix, s.AttributesPrefix, Path.Combine(root, "staging"), s.PartSize, s.CacheTtl, bus, b.Name, time, s3Logger, s.Timeout, s.StaleUploadsAfter);
                // Parts go up in one PUT each (S3 takes up to 5 GiB in one, more than a part may be), so
                // every part's MD5 is known for the completed object's ETag.
                uploadStore = new S3ObjectStore(client, s.BucketName, s.UploadsPrefix, null, Path.Combine(root, "uploads-staging"), S3ObjectStore.MaxSinglePut, s.CacheTtl, bus, b.Name + "/uploads", time, s3Logger, s.Timeout, s.StaleUploadsAfter);
            }
            else
            {
                store = new FileSystemObjectStore(root, b.Storage.FlushToDisk, time, storeLogger, services.GetRequiredService<HotObjectCache>());
                uploadStore = new FileSystemObjectStore(Path.Combine(root, "uploads"), b.Storage.FlushToDisk, time, storeLogger);
            }
            var bucket = new Bucket(b.Name, b.Region, b.PublicRead, b.PublicList, store, uploadStore, GatewayOptions.OriginFilePath(b), new DateTimeOffset(Directory.GetCreationTimeUtc(root), TimeSpan.Zero));
            return (bucket, (IReadOnlyList<string>)b.Hosts);
        });
        return new BucketRegistry(buckets.ToList(), options.DefaultBucket, options.ServiceHostsOrDefault, options.S3Domains);
    }
}
