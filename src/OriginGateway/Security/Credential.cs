namespace OriginGateway.Security;

/// <summary>A configured credential, compiled for lookups.</summary>
internal sealed class Credential(string secretId, string secretKey, IReadOnlyCollection<string> buckets)
{
    private readonly HashSet<string> _buckets = new(buckets, StringComparer.Ordinal);
    private readonly bool _allBuckets = buckets.Count == 0 || buckets.Contains("*");

    public string SecretId { get; } = secretId;

    public string SecretKey { get; } = secretKey;

    public bool MayUse(string bucket) => _allBuckets || _buckets.Contains(bucket);
}
