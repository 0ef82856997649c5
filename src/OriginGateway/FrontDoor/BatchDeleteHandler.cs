using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// <c>POST /?delete</c> — Delete Multiple Objects (COS/S3): up to 1000 keys per request, verbose
/// (every key reported) or quiet (errors only). A key that cannot be a key is reported as an
/// <c>Error</c> entry; the others are still deleted. Deleting a missing key succeeds. Buckets are
/// unversioned: an entry's <c>VersionId</c> <c>null</c> is the current object, any other version does
/// not exist — reported <c>NoSuchVersion</c>, and the current object is left alone. An entry's <c>ETag</c>
/// makes its delete conditional (as <c>If-Match</c> does a DELETE's): another object under the key is
/// reported <c>PreconditionFailed</c> (none: <c>NoSuchKey</c>) and stays.
/// </summary>
internal static class BatchDeleteHandler
{
    public const int MaxKeys = 1000;

    /// <summary>1000 keys of 850 bytes fit with room for the XML around them.</summary>
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    public static async Task HandleAsync(DataRequest request)
    {
        var context = request.Context;
        var body = await BoundedRead.ReadAsync(context.Request.Body, MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await request.ErrorAsync(400, "MalformedXML", $"The Delete document is larger than {MaxBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }
        if (!await ContentMd5.CheckAsync(request, body).ConfigureAwait(false))
        {
            return;
        }
        if (Parse(body, out var quiet, out var error) is not { } objects)
        {
            await request.ErrorAsync(400, "MalformedXML", error!).ConfigureAwait(false);
            return;
        }

        var result = new XElement("DeleteResult");
        foreach (var (key, versionId, etag) in objects)
        {
            switch (KeyDecoding.Check(key))
            {
                case KeyStatus.Valid when key.Length > 0 && UnversionedObjects.NamesAnotherVersion(versionId):
                    result.Add(Error(key, versionId, "NoSuchVersion", "The specified version does not exist: " + UnversionedObjects.OnlyNull));
                    break;
                case KeyStatus.Valid when key.Length > 0:
                    try
                    {
                        await request.Bucket.Store.DeleteAsync(key, request.Context.RequestAborted, etag is null ? null : new WriteCondition(false, etag)).ConfigureAwait(false);
                    }
                    catch (WriteConditionFailedException e)
                    {
                        result.Add(e.Status == ObjectWriteStatus.NoCurrentObject
                            ? Error(key, versionId, "NoSuchKey", "The entry's ETag names an object, and the key has none; nothing was deleted.")
                            : Error(key, versionId, "PreconditionFailed", "The key's object does not have the entry's ETag; nothing was deleted."));
                        break;
                    }
                    if (!quiet)
                    {
                        result.Add(new XElement("Deleted", new XElement("Key", key), string.IsNullOrEmpty(versionId) ? null : new XElement("VersionId", versionId)));
                    }
                    break;
                case KeyStatus.TooLong:
                    result.Add(Error(key, versionId, "KeyTooLong", KeyDecoding.TooLongMessage));
                    break;
                default:
                    result.Add(Error(key, versionId, "InvalidArgument", "The key is not valid: empty, or it contains a control character."));
                    break;
            }
        }
        await XmlAnswer.WriteAsync(request, result).ConfigureAwait(false);
    }

    private static XElement Error(string key, string? versionId, string code, string message) =>
        new("Error", new XElement("Key", key), string.IsNullOrEmpty(versionId) ? null : new XElement("VersionId", versionId), new XElement("Code", code), new XElement("Message", message));

    /// <summary>The objects of a <c>Delete</c> document, each a key, the version and the ETag named (DTDs refused); null with a reason when it is not one.</summary>
    internal static List<(string Key, string? VersionId, string? ETag)>? Parse(byte[] body, out bool quiet, out string? error)
    {
        quiet = false;
        if (RequestXml.TryLoad(body, MaxBodyBytes, out error) is not { } document)
        {
            error = "The Delete document: " + error;
            return null;
        }
        var root = document.Root;
        if (root is null || root.Name.LocalName != "Delete")
        {
            error = "The document's root must be <Delete>.";
            return null;
        }
        var quietText = RequestXml.Child(root, "Quiet")?.Value.Trim();
        if (quietText is not null && !bool.TryParse(quietText, out quiet))
        {
            error = "<Quiet> must be true or false.";
            return null;
        }
        var keys = new List<(string, string?, string?)>();
        foreach (var item in RequestXml.Children(root, "Object"))
        {
            if (RequestXml.Child(item, "Key") is not { } key)
            {
                error = "Every <Object> needs a <Key>.";
                return null;
            }
            keys.Add((key.Value, RequestXml.Child(item, "VersionId")?.Value, RequestXml.Child(item, "ETag")?.Value is { Length: > 0 } etag ? etag : null));
        }
        if (keys.Count is 0 or > MaxKeys)
        {
            error = $"A Delete document names 1 to {MaxKeys} objects.";
            return null;
        }
        error = null;
        return keys;
    }
}
