using System.Text;
using StackExchange.Redis;

namespace OriginGateway.Coordination;

/// <summary>
/// Change notifications over Redis pub/sub (one channel per gateway cluster). A replica ignores its
/// own messages; publishing is fire-and-forget and skipped while the breaker is open.
/// </summary>
internal sealed class RedisClusterBus : IClusterBus
{
    private const char Separator = '\u001f';
    private readonly RedisConnection _redis;
    private readonly RedisChannel _channel;

    public RedisClusterBus(RedisConnection redis)
    {
        _redis = redis;
        _channel = new RedisChannel(redis.Prefix + "events", RedisChannel.PatternMode.Literal);
        // Subscribed in the background: a Redis that is slow or down at start-up delays the bus, never
        // the start; the multiplexer subscribes again by itself after every reconnect.
        _ = SubscribeAsync(redis);
        redis.Restored += () => Reconnected?.Invoke();
    }

    private async Task SubscribeAsync(RedisConnection redis)
    {
        try
        {
            await redis.Subscriber.SubscribeAsync(_channel, (_, value) => Deliver(value)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Registered all the same: the multiplexer completes the subscription when the connection is back.
        }
    }

    public event Action<ClusterMessage>? Received;

    public event Action? Reconnected;

    public void Publish(ClusterMessage message)
    {
        if (!_redis.Available)
        {
            return;
        }
        var text = string.Join(Separator, _redis.ReplicaId, message.Kind.ToString(), message.Scope, message.Key);
        _ = _redis.RunAsync(async _ => await _redis.Subscriber.PublishAsync(_channel, text).ConfigureAwait(false), 0L);
    }

    private void Deliver(RedisValue value)
    {
        var parts = ((string?)value ?? "").Split(Separator, 4);
        if (parts.Length == 4 && parts[0] != _redis.ReplicaId && Enum.TryParse<ClusterMessageKind>(parts[1], out var kind))
        {
            Received?.Invoke(new ClusterMessage(kind, parts[2], parts[3]));
        }
    }
}
