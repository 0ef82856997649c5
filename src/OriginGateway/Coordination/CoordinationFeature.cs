using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;

namespace OriginGateway.Coordination;

internal static class CoordinationFeature
{
    /// <summary>
    /// Replicas as one (<c>Coordination</c> settings): on Redis when a connection string is set — the one
    /// multiplexer, the standard distributed cache on it, the bus, shared state and fill claims — else in process.
    /// Returns whether Redis is used (readiness probes it).
    /// </summary>
    public static bool AddCoordination(this IServiceCollection services, IConfiguration configuration)
    {
        var coordination = services.AddSettings<CoordinationOptions, CoordinationOptionsValidator>(configuration, "Coordination");
        if (!coordination.UsesRedis)
        {
            services.AddSingleton<IClusterBus, LocalClusterBus>();
            services.AddSingleton<IClusterState, LocalClusterState>();
            services.AddSingleton<IFillLocks, LocalFillLocks>();
            return false;
        }
        services.AddSingleton<RedisConnection>();
        // The standard distributed cache on the same multiplexer: the shared TTL'd facts (origin 404s).
        services.AddStackExchangeRedisCache(_ => { });
        services.AddOptions<Microsoft.Extensions.Caching.StackExchangeRedis.RedisCacheOptions>()
            .Configure<RedisConnection, CoordinationOptions>((cache, redis, options) =>
            {
                cache.InstanceName = options.KeyPrefix;
                cache.ConnectionMultiplexerFactory = () => Task.FromResult(redis.Multiplexer);
            });
        services.AddSingleton<IClusterBus, RedisClusterBus>();
        services.AddSingleton<IClusterState, RedisClusterState>();
        services.AddSingleton<IFillLocks, RedisFillLocks>();
        return true;
    }
}
