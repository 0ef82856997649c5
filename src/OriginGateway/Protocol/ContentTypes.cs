using Microsoft.AspNetCore.StaticFiles;

namespace OriginGateway.Protocol;

/// <summary>
/// The Content-Type of an object written without one, from its key's suffix as COS derives it
/// (<c>a.zip</c> → <c>application/zip</c>, <c>a.txt</c> → <c>text/plain</c>); <c>application/octet-stream</c>
/// for a key without a known suffix.
/// </summary>
internal static class ContentTypes
{
    public const string Default = "application/octet-stream";

    /// <summary>The request's Content-Type when it has one, else the type the key's suffix names.</summary>
    public static string For(string? requested, string key) => string.IsNullOrWhiteSpace(requested) ? ForKey(key) : requested;

    public static string ForKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        return name.LastIndexOf('.') > 0 && Provider.TryGetContentType(name, out var type) ? type : Default;
    }

    /// <summary>Where the framework's table keeps a legacy or other type, the registered one COS answers.</summary>
    private static readonly (string Suffix, string Type)[] Overrides =
    [
        (".zip", "application/zip"), (".gz", "application/gzip"), (".tgz", "application/gzip"), (".7z", "application/x-7z-compressed"),
        (".js", "application/javascript"), (".mjs", "application/javascript"), (".md", "text/markdown"), (".yaml", "application/yaml"),
        (".yml", "application/yaml"), (".webp", "image/webp"), (".m3u8", "application/vnd.apple.mpegurl"), (".ts", "video/mp2t"),
    ];

    // After Overrides: static fields initialise in the order they are written.
    private static readonly FileExtensionContentTypeProvider Provider = Create();

    private static FileExtensionContentTypeProvider Create()
    {
        var provider = new FileExtensionContentTypeProvider();
        foreach (var (suffix, type) in Overrides)
        {
            provider.Mappings[suffix] = type;
        }
        return provider;
    }
}
