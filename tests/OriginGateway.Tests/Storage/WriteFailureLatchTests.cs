using System.Net.Sockets;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Storage;

/// <summary>What keeps a store not ready after a failed write, and what ends it.</summary>
public sealed class WriteFailureLatchTests
{
    private static IOException Unreachable() => new("the PUT failed", new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)));

    private static IOException Refused() => new("the commit of a write failed: PUT did not finish within 6 s", new TimeoutException("PUT did not finish within 6 s"));

    [Fact]
    public void AFailureToReachTheStore_EndsWithTheNextReadItAnswers()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero));
        var latch = new WriteFailureLatch(clock);
        latch.Record(Unreachable());
        Assert.Contains("a write failed 0 s ago (the PUT failed)", latch.Problem("store"), StringComparison.Ordinal);
        // A read answered before the failure proves nothing.
        latch.ReachedAt(clock.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.NotNull(latch.Problem("store"));
        clock.Advance(TimeSpan.FromMilliseconds(500));
        latch.ReachedAt(clock.GetUtcNow());
        Assert.Null(latch.Problem("store"));
    }

    [Fact]
    public void AWriteTheStoreAnsweredWithAnErrorOrDidNotFinish_StandsThoughItAnswersReads_UntilAWriteCommitsOr10Seconds()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero));
        var latch = new WriteFailureLatch(clock);
        latch.Record(Refused());
        clock.Advance(TimeSpan.FromSeconds(1));
        latch.ReachedAt(clock.GetUtcNow());
        Assert.Contains("a write failed 1 s ago", latch.Problem("store"), StringComparison.Ordinal);
        latch.Succeeded();
        Assert.Null(latch.Problem("store"));

        latch.Record(Refused());
        clock.Advance(TimeSpan.FromSeconds(9.5));
        latch.ReachedAt(clock.GetUtcNow());
        Assert.NotNull(latch.Problem("store"));
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Null(latch.Problem("store"));
    }
}
