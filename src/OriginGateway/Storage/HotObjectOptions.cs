using OriginGateway.Configuration;

namespace OriginGateway.Storage;

/// <summary>The in-memory cache of small objects' bodies (<c>HotObjects</c> section; <see cref="HotObjectCache"/>).</summary>
public sealed class HotObjectOptions : ISettingsSection<HotObjectOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, HotObjectOptions target) => section.Bind(target);

    /// <summary>Bytes of bodies the process keeps, over all filesystem buckets. Default 16 MiB; 0 turns the cache off.</summary>
    public long CacheSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Objects up to this length are kept once read. Default 64 KiB.</summary>
    public long MaxObjectSize { get; set; } = 64 * 1024;
}

/// <summary>Checks the HotObjects settings at start.</summary>
internal sealed class HotObjectOptionsValidator : SettingsValidator<HotObjectOptions>
{
    protected override void Check(HotObjectOptions options, List<string> problems)
    {
        if (options.CacheSize < 0)
        {
            problems.Add("HotObjects:CacheSize must be 0 (off) or a positive number of bytes.");
        }
        if (options.MaxObjectSize < 0 || options.MaxObjectSize > Array.MaxLength)
        {
            problems.Add("HotObjects:MaxObjectSize must be between 0 and 2 GiB.");
        }
    }
}
