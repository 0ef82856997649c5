using OriginGateway.Configuration;

namespace OriginGateway.Multipart;

/// <summary>Multipart uploads (<c>Multipart</c> section).</summary>
public sealed class MultipartOptions : ISettingsSection<MultipartOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, MultipartOptions target) => section.Bind(target);

    /// <summary>An upload neither completed nor aborted this long after it was initiated is aborted and its parts removed. Default 7 days.</summary>
    public TimeSpan AbandonAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often abandoned uploads are looked for (also once at start-up). Default 1 hour.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A completion still joining its parts this long after it began is answered 200 at once, then a space every this
    /// long until its result (or an <c>Error</c> document) follows in the body — as S3 does, so that clients' read
    /// timeouts do not fire while a large object is assembled. Default 5 seconds.
    /// </summary>
    public TimeSpan CompletionKeepAlive { get; set; } = TimeSpan.FromSeconds(5);
}
