using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.FrontDoor;

/// <summary>
/// <c>GET /</c> on the service endpoint (GetService / ListAllMyBuckets): the buckets the signing
/// credential may use, by name, with their region; <c>region</c>, <c>marker</c> and <c>max-keys</c> narrow
/// and page the list. Always signed.
/// </summary>
internal static class ServiceHandler
{
    public const int MaxKeys = 1000;

    public static Task HandleAsync(HttpContext context, BucketRegistry buckets, CosAuthResult auth, List<KeyValuePair<string, string>>? query, string rawPath)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            return CosError.WriteAsync(context, 405, "MethodNotAllowed", "The service endpoint takes GET / (ListAllMyBuckets).", rawPath);
        }
        if (auth.Credential is not { } credential)
        {
            return CosError.WriteAsync(context, 403, "AccessDenied", "Access denied: listing buckets must be signed.", rawPath);
        }
        var maxKeys = MaxKeys;
        if (QueryParameters.Get(query, "max-keys") is { } maxKeysText && !int.TryParse(maxKeysText, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys))
        {
            return CosError.WriteAsync(context, 400, "InvalidArgument", "max-keys must be a non-negative integer.", rawPath);
        }
        maxKeys = Math.Min(maxKeys, MaxKeys);
        var region = QueryParameters.Get(query, "region");
        var marker = QueryParameters.Get(query, "marker") ?? "";

        var visible = buckets.All
            .Where(b => credential.MayUse(b.Name) && (region is null || b.Region == region) && string.CompareOrdinal(b.Name, marker) > 0)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
        var listed = visible.Take(maxKeys).ToList();
        var truncated = visible.Count > listed.Count;

        var result = new XElement("ListAllMyBucketsResult",
            new XElement("Owner", new XElement("ID", credential.SecretId), new XElement("DisplayName", credential.SecretId)),
            new XElement("Buckets", listed.Select(b => new XElement("Bucket",
                new XElement("Name", b.Name),
                new XElement("Location", b.Region),
                new XElement("CreationDate", b.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                new XElement("BucketType", "cos")))),
            new XElement("Marker", marker),
            new XElement("MaxKeys", maxKeys),
            new XElement("IsTruncated", truncated ? "true" : "false"),
            truncated ? new XElement("NextMarker", listed[^1].Name) : null);
        return XmlAnswer.WriteAsync(context, result);
    }
}
