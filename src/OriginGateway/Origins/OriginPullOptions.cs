using OriginGateway.Configuration;

namespace OriginGateway.Origins;

/// <summary>Origin requests and fills (<c>OriginPull</c> section, <c>01-data-plane.md</c> §1.4).</summary>
public sealed class OriginPullOptions : ISettingsSection<OriginPullOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, OriginPullOptions target) => section.Bind(target);

    /// <summary>TCP connect timeout. Default 5 s; 00:00:00.1 to 00:05:00.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time to the origin's response headers (and a sync source's listing answer's). Default 30 s; 00:00:00.1 to 01:00:00.</summary>
    public TimeSpan ResponseHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A body read that waits longer than this fails the fill (or cuts a proxied answer, or fails the read of a playlist or a
    /// URL list, or a page of a sync source's listing). Default 30 s; 00:00:00.1 to 01:00:00.
    /// </summary>
    public TimeSpan BodyIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often one body that breaks or stalls mid-way is resumed from where it broke with a Range request pinned to
    /// its ETag, instead of failing the fill or task. Default 3; 0 to 20 (0 = never).
    /// </summary>
    public int MaxBodyResumes { get; set; } = 3;

    /// <summary>Redirect hops followed for one object. Default 10; 0 to 20.</summary>
    public int MaxRedirects { get; set; } = 10;

    /// <summary>How long an origin 404 is remembered; 0 (default) = off.</summary>
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.Zero;

    /// <summary>Consecutive failures that take a host out of the weighted choice. Default 5.</summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How long a failing host stays out. Default 30 s.</summary>
    public TimeSpan CoolDown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Concurrent origin fetches per host:port. Default 64.</summary>
    public int PerHostConcurrency { get; set; } = 64;

    /// <summary>Largest object a fill stores; larger ones are passed through unstored. Default 50 GiB.</summary>
    public long MaxObjectSize { get; set; } = 50L * 1024 * 1024 * 1024;
}
