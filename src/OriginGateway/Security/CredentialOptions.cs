namespace OriginGateway.Security;

/// <summary>One SecretId / SecretKey pair (<c>Credentials:N</c>).</summary>
public sealed class CredentialOptions
{
    public string SecretId { get; set; } = "";

    public string SecretKey { get; set; } = "";

    /// <summary>Buckets this credential may use; <c>*</c> means all. Default: all.</summary>
    public List<string> Buckets { get; set; } = [];
}
