using OriginGateway.Configuration;

namespace OriginGateway.Coordination;

/// <summary>How replicas coordinate (<c>Coordination</c> section, <c>04-operations.md</c> §4.3).</summary>
public sealed class CoordinationOptions : ISettingsSection<CoordinationOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, CoordinationOptions target) => section.Bind(target);

    /// <summary>
    /// Empty (the default): Redis when <see cref="Redis"/> is set, else Local. <c>Local</c> (one replica,
    /// everything in process) or <c>Redis</c> when named must agree with <see cref="Redis"/>.
    /// </summary>
    public string Provider { get; set; } = "";

    /// <summary>Redis: a StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379,password=…</c>.</summary>
    public string Redis { get; set; } = "";

    /// <summary>
    /// Redis over TLS (<c>ssl=true</c>): a PEM file of the certificate authority that issued the server's
    /// certificate, trusted for that connection only (a private CA need not enter the machine's store).
    /// </summary>
    public string TlsCaCertificate { get; set; } = "";

    /// <summary>Redis over TLS with client certificates (<c>tls-auth-clients yes</c>): the PEM certificate the gateway presents.</summary>
    public string TlsClientCertificate { get; set; } = "";

    /// <summary>The PEM private key of <see cref="TlsClientCertificate"/>.</summary>
    public string TlsClientKey { get; set; } = "";

    /// <summary>Redis: names every key and channel, so several gateways can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "og:";

    /// <summary>How long a replica's claim on a fill lasts unless renewed (renewed every third of it while the fill runs).</summary>
    public TimeSpan FillLockTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A Redis call that takes longer counts as failed and its caller falls back to local coordination.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After this many failures in a row Redis is not asked for <see cref="BreakerOpenFor"/>.</summary>
    public int BreakerFailures { get; set; } = 3;

    public TimeSpan BreakerOpenFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether replicas coordinate through Redis: a connection string alone turns it on.</summary>
    public bool UsesRedis => Provider.Length == 0 ? !string.IsNullOrWhiteSpace(Redis) : Enum.TryParse<CoordinationProvider>(Provider, ignoreCase: true, out var named) && named == CoordinationProvider.Redis;
}

/// <summary>How replicas coordinate (<c>Coordination:Provider</c>; empty: Redis when a connection string is set).</summary>
internal enum CoordinationProvider
{
    Local,
    Redis,
}
