using Microsoft.AspNetCore.StaticFiles;

namespace OriginGateway.Buckets;

/// <summary>
/// The Content-Type of an object written without one, from its key's suffix as COS derives it
/// (<c>a.zip</c> → <c>application/zip</c>, <c>a.txt</c> → <c>text/plain</c>); <c>application/octet-stream</c>
/// for a key without a known suffix.
/// </summary>
internal static class ContentTypes
{
    public const string Default = "application/octet-stream";

    private static readonly FileExtensionContentTypeProvider Provider = Create();

    /// <summary>The request's Content-Type when it has one, else the type the key's suffix names.</summary>
    public static string For(string? requested, string key) => string.IsNullOrWhiteSpace(requested) ? ForKey(key) : requested;

    public static string ForKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        return name.LastIndexOf('.') > 0 && Provider.TryGetContentType(name, out var type) ? type : Default;
    }

    private static FileExtensionContentTypeProvider Create()
    {
        var provider = new FileExtensionContentTypeProvider();
        // Where the framework's table keeps a legacy type, the registered one COS answers.
        provider.Mappings[".zip"] = "application/zip";
        provider.Mappings[".gz"] = "application/gzip";
        provider.Mappings[".tgz"] = "application/gzip";
        provider.Mappings[".7z"] = "application/x-7z-compressed";
        provider.Mappings[".js"] = "application/javascript";
        provider.Mappings[".mjs"] = "application/javascript";
        provider.Mappings[".md"] = "text/markdown";
        provider.Mappings[".yaml"] = "application/yaml";
        provider.Mappings[".yml"] = "application/yaml";
        provider.Mappings[".webp"] = "image/webp";
        provider.Mappings[".m3u8"] = "application/vnd.apple.mpegurl";
        provider.Mappings[".ts"] = "video/mp2t";
        return provider;
    }
}
