using Microsoft.Extensions.Logging;
using OriginGateway.Observability;
using OriginGateway.OriginPull;
using Xunit;

namespace OriginGateway.Tests.OriginPull;

public sealed class DecisionLogTests
{
    private static OriginDecision Decision(int n) =>
        new(DateTimeOffset.UnixEpoch, "b-1250000000", $"secret/key-{n}.txt", 1, "proxy", "origin.example:80", 200, 64 * n, 1.5, $"request-{n}");

    [Fact]
    public async Task QueuedDecisions_AreLoggedInOrder_OffTheWritersThread_WithTheKeyHashed()
    {
        // The logger holds the first line until released: had Write logged it, Write would not have returned.
        var logger = new RecordingLogger { BlockFirst = true };
        using var log = new DecisionLog(logger, maxPending: 100);
        var writer = Environment.CurrentManagedThreadId;
        for (var n = 1; n <= 3; n++)
        {
            log.Write(LogLevel.Information, Decision(n));
        }
        Assert.True(logger.Blocked.Wait(TimeSpan.FromSeconds(10)), "the first line should have reached the logger");
        Assert.NotEqual(writer, logger.Lines[0].Thread);
        logger.Release.Set();

        var lines = await logger.WaitForAsync(3);
        Assert.All(lines, line => Assert.Equal(LogEvents.OriginPullDecision, line.EventId));
        Assert.Equal(["request-1", "request-2", "request-3"], lines.Select(RequestIdOf));
        Assert.Contains("bucket b-1250000000 key#", lines[0].Message, StringComparison.Ordinal);
        Assert.Contains("action proxy origin origin.example:80 status 200 bytes 64 in 1.5 ms", lines[0].Message, StringComparison.Ordinal);
        Assert.All(lines, line => Assert.DoesNotContain("secret/key", line.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Dispose_LogsWhatIsStillQueued()
    {
        var logger = new RecordingLogger();
        var log = new DecisionLog(logger, maxPending: 100);
        log.Write(LogLevel.Information, Decision(1));
        log.Write(LogLevel.Debug, Decision(2));
        log.Dispose();
        Assert.Equal(2, logger.Lines.Count);
        Assert.Equal(LogLevel.Debug, logger.Lines[1].Level);
    }

    [Fact]
    public void ALineWrittenAfterDispose_IsLoggedAtOnce()
    {
        var logger = new RecordingLogger();
        var log = new DecisionLog(logger, maxPending: 100);
        log.Dispose();
        log.Write(LogLevel.Information, Decision(1));
        Assert.Equal("request-1", RequestIdOf(Assert.Single(logger.Lines)));
    }

    [Fact]
    public async Task WhenTheLogCannotKeepUp_TheRequestDoesNotWait_LinesBeyondTheLimitAreDroppedAndReported()
    {
        var logger = new RecordingLogger { BlockFirst = true };
        using var log = new DecisionLog(logger, maxPending: 4);
        log.Write(LogLevel.Information, Decision(1));
        Assert.True(logger.Blocked.Wait(TimeSpan.FromSeconds(10)), "the first line should have reached the logger");

        // The logger is stuck in line 1: four more wait, three beyond them are dropped — and no write waits.
        for (var n = 2; n <= 8; n++)
        {
            log.Write(LogLevel.Information, Decision(n));
        }
        logger.Release.Set();

        var lines = await logger.WaitForAsync(6);
        Assert.Equal(["request-1", "request-2", "request-3", "request-4", "request-5"], lines.Take(5).Select(RequestIdOf));
        Assert.Equal(LogEvents.OriginPullDecisionsDropped, lines[5].EventId);
        Assert.Equal(LogLevel.Warning, lines[5].Level);
        Assert.StartsWith("3 origin-pull decision lines were not logged", lines[5].Message, StringComparison.Ordinal);

        // The limit is of lines waiting, not of lines ever: once drained, new lines are logged again.
        log.Write(LogLevel.Information, Decision(9));
        Assert.Equal("request-9", RequestIdOf((await logger.WaitForAsync(7))[6]));
    }

    /// <summary>The request id ends a decision line.</summary>
    private static string RequestIdOf(LogLine line) => line.Message[(line.Message.LastIndexOf(' ') + 1)..];
}
