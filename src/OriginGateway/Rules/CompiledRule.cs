using System.Globalization;

namespace OriginGateway.Rules;

/// <summary>One rule with its defaults applied, ready for matching on the request path.</summary>
internal sealed class CompiledRule
{
    private readonly int _statusCode;
    private readonly int _statusClass;

    public CompiledRule(OriginRule rule)
    {
        Source = rule;
        Priority = rule.Priority;
        Type = rule.Type;
        Prefix = rule.Condition?.Prefix ?? "";
        var condition = rule.Condition?.HttpStatusCode?.Trim() ?? "404";
        if (condition.Length == 3 && (condition[1] is 'X' or 'x') && (condition[2] is 'X' or 'x'))
        {
            _statusClass = condition[0] - '0';
        }
        else
        {
            _statusCode = int.Parse(condition, NumberStyles.None, CultureInfo.InvariantCulture);
        }
    }

    public OriginRule Source { get; }

    public int Priority { get; }

    public OriginType Type { get; }

    /// <summary>The condition prefix; empty matches every key.</summary>
    public string Prefix { get; }

    /// <summary>Whether the rule fires for a key whose bucket answer would be <paramref name="bucketStatus"/>.</summary>
    public bool Matches(string key, int bucketStatus)
    {
        var statusMatches = _statusClass != 0 ? bucketStatus / 100 == _statusClass : bucketStatus == _statusCode;
        return statusMatches && key.StartsWith(Prefix, StringComparison.Ordinal);
    }
}
