using Microsoft.Extensions.Logging;
using Xunit;

namespace OriginGateway.Tests;

/// <summary>One line a <see cref="RecordingLogger"/> received: the thread that logged it, its level, event id and text.</summary>
internal sealed record LogLine(int Thread, LogLevel Level, int EventId, string Message);

/// <summary>
/// A logger for a component built by hand in a test: keeps every line. With <see cref="BlockFirst"/> the first line
/// holds the logging thread until <see cref="Release"/> is set (a log output that cannot keep up).
/// </summary>
internal class RecordingLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<LogLine> _lines = [];

    public bool BlockFirst { get; init; }

    public ManualResetEventSlim Blocked { get; } = new();

    public ManualResetEventSlim Release { get; } = new();

    public List<LogLine> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _lines.Add(new LogLine(Environment.CurrentManagedThreadId, logLevel, eventId.Id, formatter(state, exception)));
        }
        if (BlockFirst && !Blocked.IsSet)
        {
            Blocked.Set();
            Release.Wait(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>The lines once there are at least <paramref name="count"/> (fails after 10 s).</summary>
    public async Task<List<LogLine>> WaitForAsync(int count)
    {
        for (var i = 0; i < 200 && Lines.Count < count; i++)
        {
            await Task.Delay(50);
        }
        var lines = Lines;
        Assert.True(lines.Count >= count, $"expected {count} lines, got {lines.Count}: {string.Join(" | ", lines.Select(l => l.Message))}");
        return lines;
    }
}

/// <summary>A <see cref="RecordingLogger"/> for a component that asks for its own category.</summary>
internal sealed class RecordingLogger<T> : RecordingLogger, ILogger<T>;
