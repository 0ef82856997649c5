namespace OriginGateway.Security;

/// <summary>The configured credentials by SecretId.</summary>
internal sealed class CredentialStore
{
    /// <summary>The documented development pair; refused in Production.</summary>
    public const string DevelopmentSecretId = "AKIDORIGINGATEWAYDEV";

    private readonly Dictionary<string, Credential> _byId;
    private readonly Dictionary<string, Credential>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public CredentialStore(IEnumerable<CredentialOptions> options)
    {
        _byId = options.ToDictionary(
            o => o.SecretId,
            o => new Credential(o.SecretId, o.SecretKey, o.Buckets),
            StringComparer.Ordinal);
        _bySpan = _byId.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _byId.Count;

    public Credential? Find(string secretId) => _byId.GetValueOrDefault(secretId);

    /// <summary>The credential of a SecretId read out of a signature, without copying it.</summary>
    public Credential? Find(ReadOnlySpan<char> secretId) => _bySpan.TryGetValue(secretId, out var credential) ? credential : null;
}
