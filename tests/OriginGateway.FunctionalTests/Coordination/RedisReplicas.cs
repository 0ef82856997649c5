using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OriginGateway.Coordination;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Observability;
using StackExchange.Redis;

namespace OriginGateway.FunctionalTests.Coordination;

/// <summary>A real redis-server and the "replicas" a test connects to it: the coordination types as the gateway builds them.</summary>
internal sealed class RedisReplicas : IAsyncDisposable
{
    private readonly List<RedisConnection> _connections = [];

    private RedisReplicas(RedisServer server) => Server = server;

    public RedisServer Server { get; }

    public static async Task<RedisReplicas> StartAsync() => new(await RedisServer.StartAsync());

    /// <summary>A replica's connection to <see cref="Server"/>, once the server answers on it.</summary>
    public RedisConnection Connect(CoordinationOptions? options = null)
    {
        options ??= new CoordinationOptions();
        options.Provider = "Redis";
        options.Redis = Server.Configuration;
        var connection = Own(new RedisConnection(options, TimeProvider.System, NullLogger<RedisConnection>.Instance));
        // The multiplexer connects in the background; a call before that falls back to local coordination
        // (as a replica starting beside a slow Redis does). The tests start from connected replicas: connected, and a
        // PING answered (sent past the connection's pipeline, so its breaker counts none of these).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (connection.Multiplexer.IsConnected)
                {
                    connection.Multiplexer.GetDatabase().Ping();
                    return connection;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
            }
            Thread.Sleep(20);
        }
        throw new InvalidOperationException($"redis-server at {Server.Configuration} did not answer a new connection within 10 s");
    }

    /// <summary>
    /// The answer of a test's first call through a connection's pipeline. The call runs within the connection's own short
    /// deadline, which a loaded machine can miss once (the fallback, null); the tests' premise is a Redis that answers, so
    /// the call is made until it is answered (10 s at most).
    /// </summary>
    public static async Task<T> FirstAnswerAsync<T>(Func<Task<T?>> call) where T : struct
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (await call() is { } answer)
            {
                return answer;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("a call to a running redis-server fell back for 10 s");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Disposes <paramref name="connection"/> (to any server) with the rest.</summary>
    public RedisConnection Own(RedisConnection connection)
    {
        _connections.Add(connection);
        return connection;
    }

    /// <summary>The Redis key of a fill claim on <paramref name="key"/> in bucket "bucket", under the default prefix.</summary>
    public static RedisKey FillKey(string key) => RedisFillLocks.ClaimName("og:", "bucket", OriginGateway.Protocol.KeyHash.Full(key));

    public static RedisFillLocks Locks(RedisConnection redis, CoordinationOptions options, ILogger<RedisFillLocks>? logger = null, GatewayMetrics? metrics = null) =>
        new(redis, options, TimeProvider.System, metrics ?? new GatewayMetrics(), logger ?? NullLogger<RedisFillLocks>.Instance);

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
