using System.Net;
using Microsoft.Extensions.Logging;
using OriginGateway.FrontDoor;
using OriginGateway.Observability;
using OriginGateway.Protocol;
using Xunit;

namespace OriginGateway.Tests.FrontDoor;

public sealed class AccessLogTests
{
    [Fact]
    public async Task Lines_AreFormattedOffTheRequestsThread_InOrder_WithTheKeyHashed()
    {
        // The logger holds the first line until released: had Write logged it, Write would not have returned.
        var logger = new RecordingLogger { BlockFirst = true };
        using var log = new AccessLog(logger, maxPending: 100);
        var request = Environment.CurrentManagedThreadId;
        log.Write(new AccessLine("GET", "b-1250000000", "secret/a.txt", "hit", 200, 1024, 1.5, "request-1", IPAddress.Parse("192.0.2.7")));
        log.Write(new AccessLine("PUT", "none", null, "api", 403, 0, 12, "request-2", null));
        Assert.True(logger.Blocked.Wait(TimeSpan.FromSeconds(10)), "the first line should have reached the logger");
        Assert.NotEqual(request, logger.Lines[0].Thread);
        logger.Release.Set();

        var lines = await logger.WaitForAsync(2);
        Assert.All(lines, line => Assert.Equal((LogLevel.Information, LogEvents.AccessLog), (line.Level, line.EventId)));
        Assert.Equal($"GET bucket b-1250000000 key#{KeyHash.Of("secret/a.txt")} hit 200 bytes 1024 in 1.5 ms request request-1 client 192.0.2.7", lines[0].Message);
        Assert.Equal("PUT bucket none key#- api 403 bytes 0 in 12.0 ms request request-2 client -", lines[1].Message);
    }

    [Fact]
    public async Task WhenTheLogCannotKeepUp_LinesBeyondTheLimitAreDroppedAndReported()
    {
        var logger = new RecordingLogger { BlockFirst = true };
        using var log = new AccessLog(logger, maxPending: 2);
        log.Write(new AccessLine("GET", "b", "k", "hit", 200, 1, 1, "request-1", null));
        Assert.True(logger.Blocked.Wait(TimeSpan.FromSeconds(10)), "the first line should have reached the logger");
        for (var n = 2; n <= 5; n++)
        {
            log.Write(new AccessLine("GET", "b", "k", "hit", 200, 1, 1, $"request-{n}", null));
        }
        logger.Release.Set();

        var lines = await logger.WaitForAsync(4);
        Assert.Equal((LogLevel.Warning, LogEvents.AccessLogDropped), (lines[3].Level, lines[3].EventId));
        Assert.StartsWith("2 access log lines were not logged", lines[3].Message, StringComparison.Ordinal);
    }
}
