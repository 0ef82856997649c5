using System.Globalization;
using System.Security;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>GET (ListBucketResult) and HEAD of a bucket root.</summary>
internal static class BucketRootHandler
{
    public const int MaxKeys = 1000;

    public static async Task ListAsync(DataRequest request)
    {
        var query = request.Query;
        var prefix = QueryParameters.Get(query, "prefix") ?? "";
        var delimiter = QueryParameters.Get(query, "delimiter");
        // ListObjectsV2 (list-type=2) pages with an opaque continuation token (or starts after a key); v1 with a marker.
        var listType = QueryParameters.Get(query, "list-type");
        if (listType is not (null or "2"))
        {
            await request.ErrorAsync(400, "InvalidArgument", "list-type must be 2 (ListObjectsV2) or absent (ListObjects).").ConfigureAwait(false);
            return;
        }
        var v2 = listType == "2";
        var continuationToken = v2 ? QueryParameters.Get(query, "continuation-token") : null;
        var startAfter = v2 ? QueryParameters.Get(query, "start-after") : null;
        string marker;
        if (continuationToken is not null)
        {
            if (ContinuationToken.Decode(continuationToken) is not { } resumeAfter)
            {
                await request.ErrorAsync(400, "InvalidArgument", "The continuation token provided is incorrect.").ConfigureAwait(false);
                return;
            }
            marker = resumeAfter;
        }
        else
        {
            marker = (v2 ? startAfter : QueryParameters.Get(query, "marker")) ?? "";
        }
        var encodingType = QueryParameters.Get(query, "encoding-type");
        var maxKeys = MaxKeys;
        if (QueryParameters.Get(query, "max-keys") is { } maxKeysText
            && (!int.TryParse(maxKeysText, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys)))
        {
            await request.ErrorAsync(400, "InvalidArgument", "max-keys must be a non-negative integer.").ConfigureAwait(false);
            return;
        }
        if (encodingType is not null && encodingType != "url")
        {
            await request.ErrorAsync(400, "InvalidArgument", "encoding-type must be 'url'.").ConfigureAwait(false);
            return;
        }
        maxKeys = Math.Min(maxKeys, MaxKeys);

        var result = await request.Bucket.Store.ListAsync(new ListRequest(prefix, delimiter, marker, maxKeys), request.Context.RequestAborted).ConfigureAwait(false);
        var urlEncode = encodingType == "url";
        string Text(string value) => SecurityElement.Escape(urlEncode ? CosUrlEncoding.Encode(value) : value);

        var xml = new StringBuilder(256 + (result.Contents.Count * 256));
        xml.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>");
        xml.Append("<Name>").Append(request.Bucket.Name).Append("</Name>");
        if (urlEncode)
        {
            xml.Append("<EncodingType>url</EncodingType>");
        }
        xml.Append("<Prefix>").Append(Text(prefix)).Append("</Prefix>");
        if (v2)
        {
            if (startAfter is not null)
            {
                xml.Append("<StartAfter>").Append(Text(startAfter)).Append("</StartAfter>");
            }
            if (continuationToken is not null)
            {
                xml.Append("<ContinuationToken>").Append(SecurityElement.Escape(continuationToken)).Append("</ContinuationToken>");
            }
            xml.Append("<KeyCount>").Append((result.Contents.Count + result.CommonPrefixes.Count).ToString(CultureInfo.InvariantCulture)).Append("</KeyCount>");
        }
        else
        {
            xml.Append("<Marker>").Append(Text(marker)).Append("</Marker>");
        }
        xml.Append("<MaxKeys>").Append(maxKeys.ToString(CultureInfo.InvariantCulture)).Append("</MaxKeys>");
        if (!string.IsNullOrEmpty(delimiter))
        {
            xml.Append("<Delimiter>").Append(Text(delimiter)).Append("</Delimiter>");
        }
        xml.Append("<IsTruncated>").Append(result.IsTruncated ? "true" : "false").Append("</IsTruncated>");
        if (v2)
        {
            if (result.IsTruncated && LastListed(result) is { } last)
            {
                xml.Append("<NextContinuationToken>").Append(ContinuationToken.Encode(last)).Append("</NextContinuationToken>");
            }
        }
        else if (result.NextMarker is { } next)
        {
            xml.Append("<NextMarker>").Append(Text(next)).Append("</NextMarker>");
        }
        foreach (var commonPrefix in result.CommonPrefixes)
        {
            xml.Append("<CommonPrefixes><Prefix>").Append(Text(commonPrefix)).Append("</Prefix></CommonPrefixes>");
        }
        var owner = request.Bucket.AppId;
        // v2 names the owner only when asked (fetch-owner=true); v1 always.
        var withOwner = !v2 || QueryParameters.Get(query, "fetch-owner") == "true";
        foreach (var entry in result.Contents)
        {
            xml.Append("<Contents><Key>").Append(Text(entry.Key)).Append("</Key>")
                .Append("<LastModified>").Append(XmlAnswer.Timestamp(entry.LastModified)).Append("</LastModified>")
                .Append("<ETag>").Append(SecurityElement.Escape(entry.ETag)).Append("</ETag>")
                .Append("<Size>").Append(entry.Length.ToString(CultureInfo.InvariantCulture)).Append("</Size>");
            if (withOwner)
            {
                xml.Append("<Owner><ID>").Append(owner).Append("</ID><DisplayName>").Append(owner).Append("</DisplayName></Owner>");
            }
            xml.Append("<StorageClass>STANDARD</StorageClass></Contents>");
        }
        xml.Append("</ListBucketResult>\n");

        var body = Encoding.UTF8.GetBytes(xml.ToString());
        var response = request.Context.Response;
        response.ContentType = "application/xml";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, request.Context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The last key or common prefix of a page: where the next page starts after.</summary>
    private static string? LastListed(ListResult result)
    {
        var lastKey = result.Contents.Count > 0 ? result.Contents[^1].Key : null;
        var lastPrefix = result.CommonPrefixes.Count > 0 ? result.CommonPrefixes[^1] : null;
        return result.NextMarker ?? (lastKey is null ? lastPrefix : lastPrefix is null ? lastKey
            : Utf8OrdinalComparer.Instance.Compare(lastKey, lastPrefix) > 0 ? lastKey : lastPrefix);
    }

    public static void Head(DataRequest request)
    {
        var response = request.Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (request.Bucket.Region.Length > 0)
        {
            // The caller's dialect: S3 tools read x-amz-bucket-region (HeadBucket), COS SDKs x-cos-bucket-region.
            response.Headers["x-cos-bucket-region"] = request.Bucket.Region;
        }
    }
}

/// <summary>ListObjectsV2's continuation token: the key a page ended at, opaque to clients (base64url of its UTF-8).</summary>
internal static class ContinuationToken
{
    public static string Encode(string after) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(after));

    public static string? Decode(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
