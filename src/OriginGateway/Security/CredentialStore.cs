namespace OriginGateway.Security;

/// <summary>The configured credentials by SecretId.</summary>
internal sealed class CredentialStore
{
    /// <summary>The documented development pair; refused in Production.</summary>
    public const string DevelopmentSecretId = "AKIDORIGINGATEWAYDEV";

    private readonly Dictionary<string, Credential> _byId;

    public CredentialStore(IEnumerable<CredentialOptions> options)
    {
        _byId = options.ToDictionary(
            o => o.SecretId,
            o => new Credential(o.SecretId, o.SecretKey, o.Buckets),
            StringComparer.Ordinal);
    }

    public int Count => _byId.Count;

    public Credential? Find(string secretId) => _byId.GetValueOrDefault(secretId);
}
