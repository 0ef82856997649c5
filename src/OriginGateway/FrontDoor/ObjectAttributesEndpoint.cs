using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// An object's ACL (<c>GET/PUT /key?acl</c>) and tags (<c>GET/PUT/DELETE /key?tagging</c>), and S3's summary of it
/// (<c>GET /key?attributes</c>, GetObjectAttributes). They change the object's attributes only — never its body, ETag
/// or Last-Modified — and answer <c>NoSuchKey</c> for a key that is not stored, creating nothing (and pulling nothing
/// from an origin).
/// </summary>
internal sealed class ObjectAttributesEndpoint : ISubresourceProvider
{
    public IEnumerable<SubresourceRoute> Routes =>
    [
        new("acl", ResourceTarget.Object, HttpMethods.Get, BucketOperation.Configure, GetAclAsync),
        new("acl", ResourceTarget.Object, HttpMethods.Put, BucketOperation.Configure, PutAclAsync),
        new("tagging", ResourceTarget.Object, HttpMethods.Get, BucketOperation.Configure, GetTaggingAsync),
        new("tagging", ResourceTarget.Object, HttpMethods.Put, BucketOperation.Configure, PutTaggingAsync),
        new("tagging", ResourceTarget.Object, HttpMethods.Delete, BucketOperation.Configure, DeleteTaggingAsync),
        // Signed callers of the bucket only: an object's ACL may keep it from anonymous readers of a public bucket.
        new("attributes", ResourceTarget.Object, HttpMethods.Get, BucketOperation.Configure, GetAttributesAsync),
    ];

    /// <summary>The attributes GetObjectAttributes names (<c>x-amz-object-attributes</c>).</summary>
    private static readonly string[] AttributeNames = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

    /// <summary>
    /// GetObjectAttributes: of the attributes the <c>x-amz-object-attributes</c> header names, the ETag (unquoted), the
    /// object's stored <c>x-amz-checksum-*</c>, its parts (a multipart upload's, paged by <c>x-amz-max-parts</c> and
    /// <c>x-amz-part-number-marker</c>; none for an object stored whole), the storage class and the size.
    /// </summary>
    private static async Task GetAttributesAsync(DataRequest request)
    {
        var headers = request.Context.Request.Headers;
        var asked = headers["x-amz-object-attributes"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        if (asked.Count == 0 || asked.Any(a => Array.IndexOf(AttributeNames, a) < 0))
        {
            await request.ErrorAsync(400, "InvalidArgument", "x-amz-object-attributes must name one or more of ETag, Checksum, ObjectParts, StorageClass, ObjectSize.").ConfigureAwait(false);
            return;
        }
        var maxParts = 1000;
        var marker = 0;
        if ((headers["x-amz-max-parts"].ToString() is { Length: > 0 } maxText && !int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out maxParts))
            || (headers["x-amz-part-number-marker"].ToString() is { Length: > 0 } markerText && !int.TryParse(markerText, NumberStyles.None, CultureInfo.InvariantCulture, out marker)))
        {
            await request.ErrorAsync(400, "InvalidArgument", "x-amz-max-parts and x-amz-part-number-marker must be whole numbers.").ConfigureAwait(false);
            return;
        }
        maxParts = Math.Min(maxParts, 1000);
        if (await FindAsync(request).ConfigureAwait(false) is not { } entry)
        {
            return;
        }
        var result = new XElement("GetObjectAttributesResponse");
        if (asked.Contains("ETag"))
        {
            result.Add(new XElement("ETag", entry.ETag.Trim('"')));
        }
        if (asked.Contains("Checksum"))
        {
            var checksums = entry.Headers.Where(h => h.Key.StartsWith("x-amz-checksum-", StringComparison.Ordinal) && h.Key != "x-amz-checksum-type")
                .Select(h => new XElement("Checksum" + ChecksumElement(h.Key["x-amz-checksum-".Length..]), h.Value)).ToList();
            if (checksums.Count > 0)
            {
                result.Add(new XElement("Checksum", checksums));
            }
        }
        if (asked.Contains("ObjectParts") && ObjectParts.Lengths(entry) is { } lengths)
        {
            var page = lengths.Select((length, i) => (Number: i + 1, Length: length)).Where(p => p.Number > marker).Take(maxParts).ToList();
            var truncated = page.Count > 0 && page[^1].Number < lengths.Count;
            result.Add(new XElement("ObjectParts",
                new XElement("PartsCount", lengths.Count),
                new XElement("PartNumberMarker", marker),
                new XElement("NextPartNumberMarker", page.Count > 0 ? page[^1].Number : marker),
                new XElement("MaxParts", maxParts),
                new XElement("IsTruncated", truncated ? "true" : "false"),
                page.Select(p => new XElement("Part", new XElement("PartNumber", p.Number), new XElement("Size", p.Length)))));
        }
        if (asked.Contains("StorageClass"))
        {
            result.Add(new XElement("StorageClass", "STANDARD"));
        }
        if (asked.Contains("ObjectSize"))
        {
            result.Add(new XElement("ObjectSize", entry.Length));
        }
        request.Context.Response.Headers.LastModified = entry.LastModifiedHeader;
        await XmlAnswer.WriteAsync(request, result).ConfigureAwait(false);
    }

    /// <summary>The element name of a checksum algorithm as S3 spells it (<c>crc32c</c> → <c>CRC32C</c>, <c>crc64nvme</c> → <c>CRC64NVME</c>).</summary>
    private static string ChecksumElement(string algorithm) => algorithm.ToUpperInvariant();

    private static async Task GetAclAsync(DataRequest request)
    {
        if (await FindAsync(request).ConfigureAwait(false) is { } entry)
        {
            request.Context.Response.Headers["x-cos-acl"] = entry.Attributes.Acl;
            await XmlAnswer.WriteAsync(request, ObjectAcl.ToXml(entry.Attributes, ObjectAcl.OwnerId(request.Bucket), ObjectAcl.AllUsersUriFor(request.Auth.Dialect))).ConfigureAwait(false);
        }
    }

    /// <summary>An <c>AccessControlPolicy</c> body when there is one, else the <c>x-cos-acl</c> / <c>x-cos-grant-*</c> headers.</summary>
    private static async Task PutAclAsync(DataRequest request)
    {
        if (await ReadDocumentAsync(request, ObjectAcl.MaxDocumentBytes).ConfigureAwait(false) is not { } body)
        {
            return;
        }
        string? error;
        var acl = body.Length > 0
            ? ObjectAcl.FromXml(body, out error)
            : ObjectAcl.FromHeaders(request.Context.Request.Headers, ObjectAcl.OwnerId(request.Bucket), out error);
        if (acl is not var (canned, grants))
        {
            await request.ErrorAsync(400, body.Length > 0 ? "MalformedXML" : "InvalidArgument", error!).ConfigureAwait(false);
            return;
        }
        if (body.Length > 0 && request.Auth.Dialect == AuthDialect.S3)
        {
            (canned, grants) = S3Dialect.ReadAclDocument((canned, grants), ObjectAcl.OwnerId(request.Bucket));
        }
        await ChangeAsync(request, attributes => attributes.WithAcl(canned, grants)).ConfigureAwait(false);
    }

    private static async Task GetTaggingAsync(DataRequest request)
    {
        if (await FindAsync(request).ConfigureAwait(false) is { } entry)
        {
            await XmlAnswer.WriteAsync(request, ObjectTagging.ToXml(entry.Attributes.Tags)).ConfigureAwait(false);
        }
    }

    private static async Task PutTaggingAsync(DataRequest request)
    {
        if (await ReadDocumentAsync(request, ObjectTagging.MaxDocumentBytes).ConfigureAwait(false) is not { } body)
        {
            return;
        }
        if (ObjectTagging.FromXml(body, out var code, out var error) is not { } tags)
        {
            await request.ErrorAsync(400, code!, error!).ConfigureAwait(false);
            return;
        }
        await ChangeAsync(request, attributes => attributes.WithTags(tags)).ConfigureAwait(false);
    }

    private static Task DeleteTaggingAsync(DataRequest request) =>
        ChangeAsync(request, attributes => attributes.WithTags([]), StatusCodes.Status204NoContent);

    /// <summary>Applies a change to the current version's attributes (once more if a new version replaced it meanwhile).</summary>
    private static async Task ChangeAsync(DataRequest request, Func<ObjectAttributes, ObjectAttributes> change, int status = StatusCodes.Status200OK)
    {
        var store = request.Bucket.Store;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await FindAsync(request).ConfigureAwait(false) is not { } entry)
            {
                return;
            }
            if (await store.SetAttributesAsync(entry, change(entry.Attributes), request.Context.RequestAborted).ConfigureAwait(false) is not null)
            {
                request.Context.Response.StatusCode = status;
                request.Context.Response.ContentLength = 0;
                return;
            }
        }
        await request.ErrorAsync(409, "OperationAborted", "The object kept changing while its attributes were set; try again.").ConfigureAwait(false);
    }

    /// <summary>The current entry; null once 404 <c>NoSuchKey</c> has been answered.</summary>
    private static async Task<ObjectEntry?> FindAsync(DataRequest request)
    {
        if (await request.Bucket.Store.FindAsync(request.Key, request.Context.RequestAborted).ConfigureAwait(false) is { } entry)
        {
            return entry;
        }
        await request.ErrorAsync(404, "NoSuchKey", "The specified key does not exist.").ConfigureAwait(false);
        return null;
    }

    /// <summary>The request's small XML body (empty when it has none), its Content-MD5 checked; null once the error has been answered.</summary>
    private static async Task<byte[]?> ReadDocumentAsync(DataRequest request, int limit)
    {
        var body = await BoundedRead.ReadAsync(request.Context.Request.Body, limit, request.Context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await request.ErrorAsync(400, "MalformedXML", $"The document is larger than {limit} bytes.").ConfigureAwait(false);
            return null;
        }
        return await ContentMd5.CheckAsync(request, body).ConfigureAwait(false) ? body : null;
    }
}
