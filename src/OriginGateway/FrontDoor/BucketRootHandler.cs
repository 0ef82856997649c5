using System.Globalization;
using System.Security;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
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
        var marker = QueryParameters.Get(query, "marker") ?? "";
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
        xml.Append("<Marker>").Append(Text(marker)).Append("</Marker>");
        xml.Append("<MaxKeys>").Append(maxKeys.ToString(CultureInfo.InvariantCulture)).Append("</MaxKeys>");
        if (!string.IsNullOrEmpty(delimiter))
        {
            xml.Append("<Delimiter>").Append(Text(delimiter)).Append("</Delimiter>");
        }
        xml.Append("<IsTruncated>").Append(result.IsTruncated ? "true" : "false").Append("</IsTruncated>");
        if (result.NextMarker is { } next)
        {
            xml.Append("<NextMarker>").Append(Text(next)).Append("</NextMarker>");
        }
        foreach (var commonPrefix in result.CommonPrefixes)
        {
            xml.Append("<CommonPrefixes><Prefix>").Append(Text(commonPrefix)).Append("</Prefix></CommonPrefixes>");
        }
        var owner = request.Bucket.AppId;
        foreach (var entry in result.Contents)
        {
            xml.Append("<Contents><Key>").Append(Text(entry.Key)).Append("</Key>")
                .Append("<LastModified>").Append(XmlAnswer.Timestamp(entry.LastModified)).Append("</LastModified>")
                .Append("<ETag>").Append(SecurityElement.Escape(entry.ETag)).Append("</ETag>")
                .Append("<Size>").Append(entry.Length.ToString(CultureInfo.InvariantCulture)).Append("</Size>")
                .Append("<Owner><ID>").Append(owner).Append("</ID><DisplayName>").Append(owner).Append("</DisplayName></Owner>")
                .Append("<StorageClass>STANDARD</StorageClass></Contents>");
        }
        xml.Append("</ListBucketResult>\n");

        var body = Encoding.UTF8.GetBytes(xml.ToString());
        var response = request.Context.Response;
        response.ContentType = "application/xml";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, request.Context.RequestAborted).ConfigureAwait(false);
    }

    public static void Head(DataRequest request)
    {
        var response = request.Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (request.Bucket.Region.Length > 0)
        {
            response.Headers["x-cos-bucket-region"] = request.Bucket.Region;
        }
    }
}
