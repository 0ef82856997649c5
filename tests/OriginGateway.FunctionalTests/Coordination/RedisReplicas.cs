using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OriginGateway.Coordination;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Coordination;

/// <summary>A real redis-server and the "replicas" a test connects to it: the coordination types as the gateway builds them.</summary>
internal sealed class RedisReplicas : IAsyncDisposable
{
    private readonly List<RedisConnection> _connections = [];

    private RedisReplicas(RedisServer server) => Server = server;

    public RedisServer Server { get; }

    public static async Task<RedisReplicas> StartAsync() => new(await RedisServer.StartAsync());

    /// <summary>A replica's connection to <see cref="Server"/>, once connected.</summary>
    public RedisConnection Connect(CoordinationOptions? options = null)
    {
        options ??= new CoordinationOptions();
        options.Provider = "Redis";
        options.Redis = Server.Configuration;
        var connection = Own(new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance));
        // The multiplexer connects in the background; a call before that falls back to local coordination
        // (as a replica starting beside a slow Redis does). The tests start from connected replicas.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!connection.Multiplexer.IsConnected && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }
        return connection;
    }

    /// <summary>Disposes <paramref name="connection"/> (to any server) with the rest.</summary>
    public RedisConnection Own(RedisConnection connection)
    {
        _connections.Add(connection);
        return connection;
    }

    public static RedisFillLocks Locks(RedisConnection redis, CoordinationOptions options, ILogger<RedisFillLocks>? logger = null) =>
        new(redis, options, TimeProvider.System, logger ?? NullLogger<RedisFillLocks>.Instance);

    /// <summary>The cluster state as the gateway builds it: the standard distributed cache on the connection's multiplexer.</summary>
    public static RedisClusterState State(RedisConnection redis) => new(redis, new RedisCache(Options.Create(new RedisCacheOptions
    {
        InstanceName = redis.Prefix,
        ConnectionMultiplexerFactory = () => Task.FromResult(redis.Multiplexer),
    })));

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
        await Server.DisposeAsync();
    }
}
