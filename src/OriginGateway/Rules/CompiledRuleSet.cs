namespace OriginGateway.Rules;

/// <summary>
/// A bucket's rules compiled and ordered by ascending priority. Immutable: a configuration change
/// builds a new set and swaps it in whole, so the request path never locks.
/// </summary>
internal sealed class CompiledRuleSet
{
    public static readonly CompiledRuleSet Empty = new(null);

    public CompiledRuleSet(OriginConfiguration? configuration)
    {
        Configuration = configuration;
        Rules = configuration?.Rules.OrderBy(r => r.Priority).Select(r => new CompiledRule(r)).ToArray() ?? [];
    }

    /// <summary>The configuration as the client sent it; null when the bucket has none.</summary>
    public OriginConfiguration? Configuration { get; }

    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>The first rule, in priority order, whose conditions hold; null when none does.</summary>
    public CompiledRule? Match(string key, int bucketStatus)
    {
        foreach (var rule in Rules)
        {
            if (rule.Matches(key, bucketStatus))
            {
                return rule;
            }
        }
        return null;
    }
}
