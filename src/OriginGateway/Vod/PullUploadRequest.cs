using System.Globalization;
using System.Text.Json;
using OriginGateway.Tasks;

namespace OriginGateway.Vod;

/// <summary>
/// A <c>PullUpload</c> request: every input parameter of the seed, checked with the seed's error
/// codes (<c>02-tasks.md</c> §2.4). What is accepted is kept with the task and echoed by
/// <c>DescribeTaskDetail</c>.
/// </summary>
internal sealed record PullUploadRequest(
    string MediaUrl,
    string? MediaType,
    long? SubAppId,
    string? MediaName,
    string? CoverUrl,
    string? Procedure,
    DateTimeOffset? ExpireTime,
    string? StorageRegion,
    long? ClassId,
    int TasksPriority,
    string? SessionContext,
    string? SessionId,
    string? ExtInfo,
    string? SourceContext,
    string? MediaStoragePath)
{
    public static readonly HashSet<string> VideoTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "mp4", "flv", "mov", "ts", "m3u8", "webm", "mkv", "avi", "wmv", "rm", "rmvb", "3gp", "mpg", "mpeg", "m4v",
    };

    public static readonly HashSet<string> AudioTypes = new(StringComparer.OrdinalIgnoreCase) { "mp3", "m4a", "aac", "wav", "flac", "ogg", "wma" };

    public static readonly HashSet<string> CoverTypes = new(StringComparer.OrdinalIgnoreCase) { "gif", "jpeg", "jpg", "png" };

    /// <summary>The media type from the parameter, else the URL's extension; null when neither says (decided at run time).</summary>
    public string? KnownMediaType => !string.IsNullOrEmpty(MediaType) ? MediaType.ToLowerInvariant()
        : Extension(MediaUrl) is { } extension && (VideoTypes.Contains(extension) || AudioTypes.Contains(extension)) ? extension.ToLowerInvariant() : null;

    public bool IsHls => KnownMediaType == "m3u8";

    /// <summary>The media type a Content-Type names (video/mp4 → mp4, audio/mpeg → mp3, …), or null.</summary>
    public static string? TypeFromContentType(string? contentType)
    {
        var type = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        return type switch
        {
            "video/mp4" => "mp4",
            "video/x-flv" => "flv",
            "video/quicktime" => "mov",
            "video/mp2t" => "ts",
            "video/webm" => "webm",
            "video/x-matroska" => "mkv",
            "video/x-msvideo" => "avi",
            "video/x-ms-wmv" => "wmv",
            "video/3gpp" => "3gp",
            "video/mpeg" => "mpg",
            "video/x-m4v" => "m4v",
            "application/vnd.apple.mpegurl" or "application/x-mpegurl" => "m3u8",
            "audio/mpeg" => "mp3",
            "audio/mp4" or "audio/x-m4a" => "m4a",
            "audio/aac" => "aac",
            "audio/wav" or "audio/x-wav" => "wav",
            "audio/flac" => "flac",
            "audio/ogg" => "ogg",
            "audio/x-ms-wma" => "wma",
            _ when type?.StartsWith("video/", StringComparison.Ordinal) == true || type?.StartsWith("audio/", StringComparison.Ordinal) == true => type[(type.IndexOf('/') + 1)..],
            _ => null,
        };
    }

    /// <summary>The extension of a URL's last path segment (no dot), or null.</summary>
    public static string? Extension(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url.Split('?', '#')[0];
        var name = path[(path.LastIndexOf('/') + 1)..];
        var dot = name.LastIndexOf('.');
        return dot >= 0 && dot < name.Length - 1 ? name[(dot + 1)..] : null;
    }

    /// <summary>Parses and checks the body; on failure returns the API error code and message.</summary>
    public static PullUploadRequest? Parse(JsonElement root, DateTimeOffset now, Func<string, bool> knownRegion, out string? code, out string? message)
    {
        code = message = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            (code, message) = ("InvalidParameter", "The request body must be a JSON object.");
            return null;
        }
        if (!Str(root, "MediaUrl", out var mediaUrl, ref code, ref message) || !Str(root, "MediaType", out var mediaType, ref code, ref message)
            || !Str(root, "MediaName", out var mediaName, ref code, ref message) || !Str(root, "CoverUrl", out var coverUrl, ref code, ref message)
            || !Str(root, "Procedure", out var procedure, ref code, ref message) || !Str(root, "ExpireTime", out var expireText, ref code, ref message)
            || !Str(root, "StorageRegion", out var region, ref code, ref message) || !Str(root, "SessionContext", out var sessionContext, ref code, ref message)
            || !Str(root, "SessionId", out var sessionId, ref code, ref message) || !Str(root, "ExtInfo", out var extInfo, ref code, ref message)
            || !Str(root, "SourceContext", out var sourceContext, ref code, ref message) || !Str(root, "MediaStoragePath", out var storagePath, ref code, ref message)
            || !Int(root, "SubAppId", out var subAppId, ref code, ref message) || !Int(root, "ClassId", out var classId, ref code, ref message)
            || !Int(root, "TasksPriority", out var priority, ref code, ref message))
        {
            return null;
        }
        if (string.IsNullOrEmpty(mediaUrl))
        {
            (code, message) = ("MissingParameter", "MediaUrl is required.");
            return null;
        }
        if (TaskUrl.Parse(mediaUrl, schemeOptional: false, out var urlError) is null)
        {
            (code, message) = ("InvalidParameterValue.MediaUrl", "MediaUrl " + urlError + " (an absolute http or https URL is required).");
            return null;
        }
        var extension = Extension(mediaUrl);
        if (string.Equals(mediaType, "mpd", StringComparison.OrdinalIgnoreCase) || (string.IsNullOrEmpty(mediaType) && string.Equals(extension, "mpd", StringComparison.OrdinalIgnoreCase)))
        {
            (code, message) = ("FailedOperation.MediaType", "DASH (.mpd) is not supported; HLS (.m3u8) is.");
            return null;
        }
        if (!string.IsNullOrEmpty(mediaType) && !VideoTypes.Contains(mediaType) && !AudioTypes.Contains(mediaType))
        {
            (code, message) = ("FailedOperation.MediaType", $"MediaType '{mediaType}' is not a supported media type.");
            return null;
        }
        if (!string.IsNullOrEmpty(coverUrl))
        {
            if (TaskUrl.Parse(coverUrl, schemeOptional: false, out var coverError) is null)
            {
                (code, message) = ("InvalidParameterValue.CoverUrl", "CoverUrl " + coverError + ".");
                return null;
            }
            if (Extension(coverUrl) is { } coverExtension && !CoverTypes.Contains(coverExtension))
            {
                (code, message) = ("FailedOperation.CoverType", "The cover must be gif, jpeg or png.");
                return null;
            }
        }
        DateTimeOffset? expireTime = null;
        if (!string.IsNullOrEmpty(expireText))
        {
            if (!DateTimeOffset.TryParse(expireText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
                || !expireText.Contains('T', StringComparison.Ordinal))
            {
                (code, message) = ("InvalidParameterValue.ExpireTime", "ExpireTime must be an ISO 8601 time, e.g. 2026-12-31T23:59:59Z.");
                return null;
            }
            if (parsed <= now)
            {
                (code, message) = ("InvalidParameterValue.ExpireTime", "ExpireTime is in the past.");
                return null;
            }
            expireTime = parsed;
        }
        if (!string.IsNullOrEmpty(region) && !knownRegion(region))
        {
            (code, message) = ("InvalidParameterValue.StorageRegion", $"StorageRegion '{region}' is not available.");
            return null;
        }
        if (priority is < -10 or > 10)
        {
            (code, message) = ("InvalidParameterValue", "TasksPriority must be between -10 and 10.");
            return null;
        }
        if (sessionContext?.Length > 1000)
        {
            (code, message) = ("InvalidParameterValue.SessionContextTooLong", "SessionContext is longer than 1000 characters.");
            return null;
        }
        if (sourceContext?.Length > 250)
        {
            (code, message) = ("InvalidParameterValue.SourceContextTooLong", "SourceContext is longer than 250 characters.");
            return null;
        }
        if (sessionId?.Length > 50)
        {
            (code, message) = ("InvalidParameterValue.SessionIdTooLong", "SessionId is longer than 50 characters.");
            return null;
        }
        if (!string.IsNullOrEmpty(storagePath) && (!storagePath.StartsWith('/') || storagePath.Length < 2))
        {
            (code, message) = ("InvalidParameterValue.MediaStoragePath", "MediaStoragePath must start with / and name a file.");
            return null;
        }
        return new PullUploadRequest(mediaUrl, string.IsNullOrEmpty(mediaType) ? null : mediaType, subAppId, mediaName, NullIfEmpty(coverUrl), procedure, expireTime,
            NullIfEmpty(region), classId, (int)(priority ?? 0), sessionContext, NullIfEmpty(sessionId), extInfo, sourceContext, NullIfEmpty(storagePath));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool Str(JsonElement root, string name, out string? value, ref string? code, ref string? message)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            (code, message) = ("InvalidParameter", $"{name} must be a string.");
            return false;
        }
        value = element.GetString();
        return true;
    }

    private static bool Int(JsonElement root, string name, out long? value, ref string? code, ref string? message)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var number))
        {
            (code, message) = ("InvalidParameter", $"{name} must be an integer.");
            return false;
        }
        value = number;
        return true;
    }
}
