using OriginGateway.Configuration;

namespace OriginGateway.FrontDoor;

/// <summary>Request size limits (<c>Limits</c> section, <c>03-security.md</c> §3.4).</summary>
public sealed class LimitsOptions : ISettingsSection<LimitsOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, LimitsOptions target) => section.Bind(target);

    /// <summary>Largest PUT body in bytes. Default 5 GiB.</summary>
    public long MaxPutSize { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>
    /// Data requests in flight at once; more are answered 503 <c>SlowDown</c>. Default: the data endpoint's connection cap
    /// (<c>Kestrel:Limits:MaxConcurrentConnections</c>, or what the open-file limit leaves), which only HTTP/2's streams can reach.
    /// </summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>
    /// A write whose work outlasts a client's read timeout — a multipart completion joining its parts, a copy or a part copy
    /// of a large object — still running this long after it began is answered 200 at once, then a space every this long until
    /// its result (or an <c>Error</c> document) follows in the body, as S3 answers them. Default 5 seconds.
    /// </summary>
    public TimeSpan SlowAnswerKeepAlive { get; set; } = TimeSpan.FromSeconds(5);
}
