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

    /// <summary>GET of the bucket root: ListObjects, or ListObjectsV2 with <c>list-type=2</c>.</summary>
    public static async Task ListAsync(DataRequest request)
    {
        var query = request.Query;
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
        if (await PageAsync(request, marker).ConfigureAwait(false) is not var (page, result))
        {
            return;
        }

        var xml = page.Open("ListBucketResult", result);
        if (v2)
        {
            if (startAfter is not null)
            {
                xml.Append("<StartAfter>").Append(page.Text(startAfter)).Append("</StartAfter>");
            }
            if (continuationToken is not null)
            {
                xml.Append("<ContinuationToken>").Append(SecurityElement.Escape(continuationToken)).Append("</ContinuationToken>");
            }
            xml.Append("<KeyCount>").Append((result.Contents.Count + result.CommonPrefixes.Count).ToString(CultureInfo.InvariantCulture)).Append("</KeyCount>");
        }
        else
        {
            xml.Append("<Marker>").Append(page.Text(marker)).Append("</Marker>");
        }
        page.AppendLimits(xml, result);
        if (v2)
        {
            if (result.IsTruncated && LastListed(result) is { } last)
            {
                xml.Append("<NextContinuationToken>").Append(ContinuationToken.Encode(last)).Append("</NextContinuationToken>");
            }
        }
        else if (result.NextMarker is { } next)
        {
            xml.Append("<NextMarker>").Append(page.Text(next)).Append("</NextMarker>");
        }
        // v2 names the owner only when asked (fetch-owner=true); v1 always.
        var withOwner = !v2 || QueryParameters.Get(query, "fetch-owner") == "true";
        page.AppendEntries(xml, result, "Contents", withOwner, version: false);
        await page.CloseAsync(xml, "ListBucketResult").ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET /?versions</c> (ListObjectVersions) of an unversioned bucket: every object is its one version,
    /// <c>null</c> and latest — what S3 lists for a bucket whose versioning was never enabled, so tools that empty or
    /// copy a bucket version by version work. <c>key-marker</c> pages; a <c>version-id-marker</c> can only be
    /// <c>null</c> (no key has another version) and needs a key marker.
    /// </summary>
    public static async Task ListVersionsAsync(DataRequest request)
    {
        var keyMarker = QueryParameters.Get(request.Query, "key-marker") ?? "";
        var versionIdMarker = QueryParameters.Get(request.Query, "version-id-marker");
        if (versionIdMarker is not null && keyMarker.Length == 0)
        {
            await request.ErrorAsync(400, "InvalidArgument", "A version-id-marker cannot be specified without a key-marker.").ConfigureAwait(false);
            return;
        }
        if (UnversionedObjects.NamesAnotherVersion(versionIdMarker))
        {
            await request.ErrorAsync(400, "InvalidArgument", "Invalid version id specified: " + UnversionedObjects.OnlyNull).ConfigureAwait(false);
            return;
        }
        if (await PageAsync(request, keyMarker).ConfigureAwait(false) is not var (page, result))
        {
            return;
        }

        var xml = page.Open("ListVersionsResult", result);
        xml.Append("<KeyMarker>").Append(page.Text(keyMarker)).Append("</KeyMarker>")
            .Append("<VersionIdMarker>").Append(SecurityElement.Escape(versionIdMarker ?? "")).Append("</VersionIdMarker>");
        page.AppendLimits(xml, result);
        if (result.IsTruncated && LastListed(result) is { } last)
        {
            xml.Append("<NextKeyMarker>").Append(page.Text(last)).Append("</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>");
        }
        page.AppendEntries(xml, result, "Version", withOwner: true, version: true);
        await page.CloseAsync(xml, "ListVersionsResult").ConfigureAwait(false);
    }

    /// <summary>
    /// Reads what every listing shares (<c>prefix</c>, <c>delimiter</c>, <c>max-keys</c>, <c>encoding-type</c>) and lists
    /// one page after <paramref name="marker"/>; null once a bad parameter has been answered 400.
    /// </summary>
    private static async Task<(ListPage Page, ListResult Result)?> PageAsync(DataRequest request, string marker)
    {
        var query = request.Query;
        var prefix = QueryParameters.Get(query, "prefix") ?? "";
        var delimiter = QueryParameters.Get(query, "delimiter");
        var encodingType = QueryParameters.Get(query, "encoding-type");
        var maxKeys = MaxKeys;
        if (QueryParameters.Get(query, "max-keys") is { } maxKeysText
            && (!int.TryParse(maxKeysText, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys)))
        {
            await request.ErrorAsync(400, "InvalidArgument", "max-keys must be a non-negative integer.").ConfigureAwait(false);
            return null;
        }
        if (encodingType is not null && encodingType != "url")
        {
            await request.ErrorAsync(400, "InvalidArgument", "encoding-type must be 'url'.").ConfigureAwait(false);
            return null;
        }
        maxKeys = Math.Min(maxKeys, MaxKeys);
        var result = await request.Bucket.Store.ListAsync(new ListRequest(prefix, delimiter, marker, maxKeys), request.Context.RequestAborted).ConfigureAwait(false);
        return (new ListPage(request, prefix, delimiter, maxKeys, encodingType == "url"), result);
    }

    /// <summary>One listing answer being written: the parts every listing document has, in its order.</summary>
    private sealed record ListPage(DataRequest Request, string Prefix, string? Delimiter, int MaxKeys, bool UrlEncode)
    {
        public string Text(string value) => SecurityElement.Escape(UrlEncode ? CosUrlEncoding.Encode(value) : value);

        public StringBuilder Open(string root, ListResult result)
        {
            var xml = new StringBuilder(256 + (result.Contents.Count * 256));
            xml.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<").Append(root).Append('>');
            xml.Append("<Name>").Append(Request.Bucket.Name).Append("</Name>");
            if (UrlEncode)
            {
                xml.Append("<EncodingType>url</EncodingType>");
            }
            return xml.Append("<Prefix>").Append(Text(Prefix)).Append("</Prefix>");
        }

        public void AppendLimits(StringBuilder xml, ListResult result)
        {
            xml.Append("<MaxKeys>").Append(MaxKeys.ToString(CultureInfo.InvariantCulture)).Append("</MaxKeys>");
            if (!string.IsNullOrEmpty(Delimiter))
            {
                xml.Append("<Delimiter>").Append(Text(Delimiter)).Append("</Delimiter>");
            }
            xml.Append("<IsTruncated>").Append(result.IsTruncated ? "true" : "false").Append("</IsTruncated>");
        }

        /// <summary>The common prefixes, then each object as <paramref name="element"/> (a version: <c>null</c>, the latest).</summary>
        public void AppendEntries(StringBuilder xml, ListResult result, string element, bool withOwner, bool version)
        {
            foreach (var commonPrefix in result.CommonPrefixes)
            {
                xml.Append("<CommonPrefixes><Prefix>").Append(Text(commonPrefix)).Append("</Prefix></CommonPrefixes>");
            }
            var owner = Request.Bucket.AppId;
            foreach (var entry in result.Contents)
            {
                xml.Append('<').Append(element).Append("><Key>").Append(Text(entry.Key)).Append("</Key>");
                if (version)
                {
                    xml.Append("<VersionId>null</VersionId><IsLatest>true</IsLatest>");
                }
                xml.Append("<LastModified>").Append(XmlAnswer.Timestamp(entry.LastModified)).Append("</LastModified>")
                    .Append("<ETag>").Append(SecurityElement.Escape(entry.ETag)).Append("</ETag>")
                    .Append("<Size>").Append(entry.Length.ToString(CultureInfo.InvariantCulture)).Append("</Size>");
                if (withOwner)
                {
                    xml.Append("<Owner><ID>").Append(owner).Append("</ID><DisplayName>").Append(owner).Append("</DisplayName></Owner>");
                }
                xml.Append("<StorageClass>STANDARD</StorageClass></").Append(element).Append('>');
            }
        }

        public async Task CloseAsync(StringBuilder xml, string root)
        {
            xml.Append("</").Append(root).Append(">\n");
            var body = Encoding.UTF8.GetBytes(xml.ToString());
            var response = Request.Context.Response;
            response.ContentType = "application/xml";
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, Request.Context.RequestAborted).ConfigureAwait(false);
        }
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
