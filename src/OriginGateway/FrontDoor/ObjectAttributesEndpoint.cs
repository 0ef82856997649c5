using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// An object's ACL (<c>GET/PUT /key?acl</c>) and tags (<c>GET/PUT/DELETE /key?tagging</c>). They change
/// the object's attributes only — never its body, ETag or Last-Modified — and answer <c>NoSuchKey</c> for
/// a key that is not stored, creating nothing.
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
    ];

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
