using System.Text.Json;
using OriginGateway.Protocol;
using OriginGateway.Tasks;

namespace OriginGateway.FetchTasks;

/// <summary>A fetch-task submission, checked field by field (<c>02-tasks.md</c> §2.2).</summary>
internal sealed record FetchTaskRequest(string Key, Uri Url, FetchTaskPayload Payload)
{
    /// <summary>Parses the body; <paramref name="error"/> says what is wrong for a 400 <c>InvalidArgument</c>.</summary>
    public static FetchTaskRequest? Parse(byte[] body, out string? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            error = "The body is not valid JSON: " + e.Message;
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The body must be a JSON object.";
                return null;
            }
            if (!TryString(root, "Url", out var urlText, out error) || !TryString(root, "Key", out var key, out error)
                || !TryString(root, "MD5", out var md5, out error) || !TryString(root, "OnKeyExist", out var onKeyExist, out error)
                || !TryString(root, "SuccessCallbackUrl", out var success, out error) || !TryString(root, "FailureCallbackUrl", out var failure, out error)
                || !TryBool(root, "IgnoreSameKey", out var ignoreSameKey, out error))
            {
                return null;
            }
            if (string.IsNullOrEmpty(urlText))
            {
                error = "Url is required.";
                return null;
            }
            if (TaskUrl.Parse(urlText, schemeOptional: true, out var urlError) is not { } url)
            {
                error = "Url " + urlError + " (an absolute http or https URL is required).";
                return null;
            }
            if (string.IsNullOrEmpty(key))
            {
                error = "Key is required.";
                return null;
            }
            key = key.StartsWith('/') ? key[1..] : key;
            switch (KeyDecoding.Check(key))
            {
                case KeyStatus.Valid:
                    break;
                case KeyStatus.TooLong:
                    error = $"Key is longer than {KeyDecoding.MaxKeyBytes} bytes.";
                    return null;
                default:
                    error = "Key is not a valid object key (empty, or it contains a control character).";
                    return null;
            }
            if (string.IsNullOrEmpty(md5))
            {
                md5 = null;
            }
            else if (md5.Length != 32 || !md5.All(char.IsAsciiHexDigit))
            {
                error = "MD5 must be 32 hexadecimal digits.";
                return null;
            }
            if (string.IsNullOrEmpty(onKeyExist))
            {
                onKeyExist = null;
            }
            else
            {
                onKeyExist = onKeyExist.ToLowerInvariant();
                if (onKeyExist is not ("ignore" or "override"))
                {
                    error = "OnKeyExist must be \"ignore\" or \"override\".";
                    return null;
                }
            }
            if (ignoreSameKey && onKeyExist == "override")
            {
                error = "IgnoreSameKey=true contradicts OnKeyExist=override.";
                return null;
            }
            foreach (var (name, value) in new[] { ("SuccessCallbackUrl", success), ("FailureCallbackUrl", failure) })
            {
                if (!string.IsNullOrEmpty(value) && TaskUrl.Parse(value, schemeOptional: false, out var callbackError) is null)
                {
                    error = $"{name} {callbackError} (an absolute http or https URL is required).";
                    return null;
                }
            }
            error = null;
            return new FetchTaskRequest(key, url, new FetchTaskPayload(urlText.Trim(), md5?.ToLowerInvariant(), ignoreSameKey, onKeyExist,
                string.IsNullOrEmpty(success) ? null : success, string.IsNullOrEmpty(failure) ? null : failure));
        }
    }

    private static bool TryString(JsonElement root, string name, out string? value, out string? error)
    {
        value = null;
        error = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"{name} must be a string.";
            return false;
        }
        value = element.GetString();
        return true;
    }

    private static bool TryBool(JsonElement root, string name, out bool value, out string? error)
    {
        value = false;
        error = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        switch (element.ValueKind)
        {
            case JsonValueKind.True:
                value = true;
                return true;
            case JsonValueKind.False:
                return true;
            case JsonValueKind.String when bool.TryParse(element.GetString(), out value):
                return true;
            default:
                error = $"{name} must be true or false.";
                return false;
        }
    }
}
