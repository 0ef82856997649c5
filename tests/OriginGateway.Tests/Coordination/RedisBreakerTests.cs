using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Coordination;
using StackExchange.Redis;

namespace OriginGateway.Tests.Coordination;

/// <summary>
/// The breaker in front of Redis decides from how calls end, and the client library ends them in more ways than one: a
/// probe that fails in any of them must leave the breaker open, and only a call Redis answered may close it (and raise
/// <see cref="RedisConnection.Restored"/>). Nothing listens on the connection's port, so every real call would fail;
/// the calls here end as the client library ends them during an outage.
/// </summary>
public sealed class RedisBreakerTests
{
    public static TheoryData<string> HowAProbeFails => ["cancelled by the client library", "connection", "timeout", "unexpected"];

    private static Exception Failure(string how) => how switch
    {
        // What StackExchange.Redis answers a command it could not write within its timeout (its write lock held while it
        // reconnects): the task is cancelled, no RedisException.
        "cancelled by the client library" => new TaskCanceledException(),
        "connection" => new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, "socket closed"),
        "timeout" => new RedisTimeoutException(CommandFlags.None, "timeout", CommandStatus.Sent),
        _ => new InvalidOperationException("unexpected"),
    };

    [Theory]
    [MemberData(nameof(HowAProbeFails))]
    public async Task AProbeThatFails_KeepsTheBreakerOpen_AndOnlyAnAnsweredCallClosesIt(string how)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var options = new CoordinationOptions
        {
            Provider = "Redis",
            Redis = $"127.0.0.1:{TestPorts.Free()}",
            OperationTimeout = TimeSpan.FromMilliseconds(500),
            BreakerFailures = 2,
            BreakerOpenFor = TimeSpan.FromSeconds(10),
        };
        using var redis = new RedisConnection(options, clock, NullLogger<RedisConnection>.Instance);
        var restored = 0;
        redis.Restored += () => Interlocked.Increment(ref restored);

        // Calls that fail this way open the breaker (every call of the window failed), and calls that fall back count.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(-1, await redis.RunCallAsync<int>(_ => Task.FromException<int>(Failure(how)), -1));
        }
        await Eventually(() => !redis.Available);
        var attempts = redis.Attempts;
        Assert.Equal(-1, await redis.RunCallAsync(_ => Task.FromResult(1), -1));
        Assert.Equal(attempts, redis.Attempts);

        // The break is over: one call probes, and fails the same way. The breaker opens again; nothing was restored.
        clock.Advance(options.BreakerOpenFor + TimeSpan.FromSeconds(1));
        Assert.True(redis.Available);
        Assert.Equal(-1, await redis.RunCallAsync<int>(_ => Task.FromException<int>(Failure(how)), -1));
        Assert.Equal(attempts + 1, redis.Attempts);
        await Eventually(() => !redis.Available);
        Assert.Equal(-1, await redis.RunCallAsync(_ => Task.FromResult(1), -1));
        Assert.Equal(attempts + 1, redis.Attempts);
        Assert.Equal(0, Volatile.Read(ref restored));

        // The next probe is answered: the breaker closes, Restored is raised once, and calls are made again.
        clock.Advance(options.BreakerOpenFor + TimeSpan.FromSeconds(1));
        Assert.Equal(7, await redis.RunCallAsync(_ => Task.FromResult(7), -1));
        await Eventually(() => Volatile.Read(ref restored) == 1);
        Assert.Equal(8, await redis.RunCallAsync(_ => Task.FromResult(8), -1));
        Assert.True(redis.Available);
        Assert.Equal(1, Volatile.Read(ref restored));
    }

    /// <summary>The breaker reports its transitions from a background task of its own: wait for one, boundedly.</summary>
    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
