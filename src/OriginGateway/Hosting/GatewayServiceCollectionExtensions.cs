using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Callbacks;
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
    public static IServiceCollection AddOriginGateway(this IServiceCollection services, GatewayOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(options.Limits);
        services.AddSingleton(options.OriginPull);
        services.AddSingleton(options.Egress);
        services.AddSingleton(options.Tasks);
        services.AddSingleton(options.Callbacks);
        services.AddSingleton(options.Vod);
        services.AddSingleton(options.Oms);
        services.AddSingleton(options.Multipart);
        services.AddSingleton(options.Shutdown);
        services.AddSingleton<ShutdownSignal>();

        services.AddSingleton(sp => new ControlDatabase(options.Database.ProviderKind, options.ControlDatabaseConnectionString, sp.GetRequiredService<ILogger<ControlDatabase>>(), options.Database.Timeout));
        services.AddSingleton<OriginConfigurationRepository>();
        services.AddSingleton<BucketPolicyRepository>();
        services.AddSingleton<CorsConfigurationRepository>();
        services.AddSingleton<BucketPolicyService>();
        services.AddSingleton<BucketPolicyEndpoint>();

        services.AddSingleton(sp => new CredentialStore(options.Credentials));
        services.AddSingleton<CosAuthenticator>();

        services.AddSingleton(_ => new GatewayMetrics());
        services.AddSingleton(sp => new FrameworkMetrics(sp.GetRequiredService<GatewayMetrics>(), options.Metrics));
        services.AddSingleton<RecentDecisions>();
        services.AddSingleton<Admin.AdminSession>();
        services.AddSingleton<Admin.TrafficHistory>();
        services.AddHostedService(sp => sp.GetRequiredService<Admin.TrafficHistory>());
        services.AddSingleton(new EgressAddressClassifier(options.Egress.AllowedNetworks, options.Egress.DeniedNetworks));
        services.TryAddSingleton<IEgressResolver, DnsEgressResolver>();
        services.AddSingleton<IGatewayListeners>(sp => sp.GetRequiredService<EndpointBinding>());
        services.AddSingleton<EgressGuard>();
        services.AddSingleton<OriginHttpClient>();
        services.AddSingleton<HostHealth>();
        services.AddSingleton<HostSelector>();
        services.AddSingleton<HostLimiter>();
        services.AddSingleton<NegativeCache>();
        services.AddSingleton<OriginFetcher>();
        services.AddSingleton<FillRegistry>();
        services.AddSingleton<MirrorAction>();
        services.AddSingleton<ProxyAction>();
        services.AddSingleton<OriginPullDispatcher>();
        services.AddSingleton<IObjectMissHandler>(sp => sp.GetRequiredService<OriginPullDispatcher>());
        services.AddHttpForwarder();

        // The one task engine and the kinds of task it runs.
        services.AddSingleton<ITaskStore, SqlTaskStore>();
        services.AddSingleton<TaskFill>();
        services.AddSingleton<OriginIngest>();
        services.AddSingleton<ITaskHandler, FetchTaskHandler>();
        services.AddSingleton<ITaskHandler, ProxyStoreHandler>();
        services.AddSingleton<ITaskHandler, CallbackHandler>();
        services.AddSingleton<TaskEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskEngine>());
        services.AddSingleton<FetchTaskEndpoint>();

        // VOD PullUpload (TencentCloud API 3.0).
        services.AddSingleton<Tc3Authenticator>();
        services.AddSingleton<VodRateLimiter>();
        services.AddSingleton<VodSessions>();
        services.AddSingleton<HlsPull>();
        services.AddSingleton<ITaskHandler, PullUploadHandler>();
        services.AddSingleton<ITaskHandler, ExpireHandler>();
        services.AddSingleton<VodApiEndpoint>();

        // OMS-style sync tasks; keys in this replica's memory only.
        services.AddSingleton<S3ClientFactory>();
        if (options.Coordination.UsesRedis)
        {
            services.AddSingleton(options.Coordination);
            services.AddSingleton<Coordination.RedisConnection>();
            // The standard distributed cache on the same multiplexer: the shared TTL'd facts (origin 404s).
            services.AddStackExchangeRedisCache(_ => { });
            services.AddOptions<Microsoft.Extensions.Caching.StackExchangeRedis.RedisCacheOptions>()
                .Configure<Coordination.RedisConnection>((cache, redis) =>
                {
                    cache.InstanceName = options.Coordination.KeyPrefix;
                    cache.ConnectionMultiplexerFactory = () => Task.FromResult(redis.Multiplexer);
                });
            services.AddSingleton<Coordination.IClusterBus, Coordination.RedisClusterBus>();
            services.AddSingleton<Coordination.IClusterState, Coordination.RedisClusterState>();
            services.AddSingleton<Coordination.IFillLocks, Coordination.RedisFillLocks>();
        }
        else
        {
            services.AddSingleton<Coordination.IClusterBus, Coordination.LocalClusterBus>();
            services.AddSingleton<Coordination.IClusterState, Coordination.LocalClusterState>();
            services.AddSingleton<Coordination.IFillLocks, Coordination.LocalFillLocks>();
        }
        services.AddSingleton<SyncTaskRepository>();
        services.AddSingleton<SyncKeys>();
        services.AddSingleton<SyncSource>();
        services.AddSingleton<ITaskHandler, SyncCopyHandler>();
        services.AddSingleton<ITaskLeaseFilter, SyncLeaseFilter>();
        services.AddSingleton<SyncRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<SyncRunner>());
        services.AddSingleton<SyncTaskEndpoint>();

        services.AddSingleton(sp => CreateBuckets(sp, options));
        services.AddSingleton<OriginConfigurationService>();
        services.AddSingleton<OriginConfigurationEndpoint>();
        services.AddSingleton<Cors.CorsService>();
        services.AddSingleton<Cors.CorsEndpoint>();
        services.AddSingleton<ICrossOriginRules, Cors.CorsResponder>();
        services.AddSingleton<ObjectWriteHandler>();
        services.AddSingleton<MultipartHandler>();
        services.AddHostedService<MultipartSweeper>();

        // Every feature's sub-resources, in the one table the data endpoint consults.
        services.AddSingleton<ISubresourceProvider, BucketSubresources>();
        services.AddSingleton<ISubresourceProvider, ObjectAttributesEndpoint>();
        services.AddSingleton<ISubresourceProvider, OriginExplainEndpoint>();
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<OriginConfigurationEndpoint>());
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<Cors.CorsEndpoint>());
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<BucketPolicyEndpoint>());
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<MultipartHandler>());
        services.AddSingleton<SubresourceTable>();
        services.AddSingleton<DataPlaneHandler>();

        // Readiness: the dependencies are probed in the background; /readyz reads the last results.
        List<(string Name, Type Check)> probes = [("database", typeof(DatabaseHealthCheck)), ("stores", typeof(StoreHealthCheck))];
        if (options.Coordination.UsesRedis)
        {
            probes.Add(("coordination", typeof(Coordination.CoordinationHealthCheck)));
        }
        services.AddSingleton<Dependencies.DependencyMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<Dependencies.DependencyMonitor>());
        var health = services.AddHealthChecks()
            .AddCheck<DrainingHealthCheck>("draining", tags: ["ready"]);
        foreach (var (name, check) in probes)
        {
            services.AddSingleton(sp => new Dependencies.DependencyProbe(name, (Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck)ActivatorUtilities.CreateInstance(sp, check)));
            health.Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(name,
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
                store = new FileSystemObjectStore(root, b.Storage.FlushToDisk, time, storeLogger);
                uploadStore = new FileSystemObjectStore(Path.Combine(root, "uploads"), b.Storage.FlushToDisk, time, storeLogger);
            }
            var bucket = new Bucket(b.Name, b.Region, b.PublicRead, b.PublicList, store, uploadStore, GatewayOptions.OriginFilePath(b), new DateTimeOffset(Directory.GetCreationTimeUtc(root), TimeSpan.Zero));
            return (bucket, (IReadOnlyList<string>)b.Hosts);
        });
        return new BucketRegistry(buckets.ToList(), options.DefaultBucket, options.ServiceHostsOrDefault);
    }
}
