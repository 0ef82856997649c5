using System.Reflection;
using Microsoft.Extensions.Logging;
using OriginGateway.Observability;

namespace OriginGateway.Tests.Observability;

public sealed class LogEventsTests
{
    private static readonly Assembly Gateway = typeof(LogEvents).Assembly;

    private static Dictionary<string, int> Table() => typeof(LogEvents)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);

    [Fact]
    public void TheTable_GivesEveryEventItsOwnId()
    {
        var duplicates = Table().GroupBy(e => e.Value).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Key))}");
        Assert.Empty(duplicates);
    }

    [Fact]
    public void EveryLoggerMessage_TakesItsIdFromTheTable_AndNoTwoShareOne()
    {
        var ids = Table().Values.ToHashSet();
        var messages = Gateway.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => (Name: $"{m.Method.DeclaringType!.Name}.{m.Method.Name}", m.Attribute!.EventId))
            .ToList();

        Assert.True(messages.Count > 40, $"only {messages.Count} logger messages found");
        Assert.Empty(messages.Where(m => !ids.Contains(m.EventId)).Select(m => $"{m.Name} logs with {m.EventId}, which is not in LogEvents"));
        Assert.Empty(messages.GroupBy(m => m.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Name))}"));
    }
}
