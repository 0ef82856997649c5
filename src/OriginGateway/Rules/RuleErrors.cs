namespace OriginGateway.Rules;

/// <summary>Collects every problem found in a configuration, each prefixed with where it is.</summary>
internal sealed class RuleErrors
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> All => _errors;

    public bool Any => _errors.Count > 0;

    public void Add(string path, string message) => _errors.Add($"{path}: {message}");
}
