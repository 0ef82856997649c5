using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// The bucket sub-resources of the object API itself: <c>POST /?delete</c>, <c>GET /?location</c>, and what a
/// configured, unversioned bucket answers when tools ask about it — <c>GET /?versions</c>, <c>GET /?versioning</c>
/// and <c>GET /?acl</c>.
/// </summary>
internal sealed class BucketSubresources : ISubresourceProvider
{
    public IEnumerable<SubresourceRoute> Routes =>
    [
        new("delete", ResourceTarget.Bucket, HttpMethods.Post, BucketOperation.Write, BatchDeleteHandler.HandleAsync),
        new("location", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, LocationAsync),
        new("versions", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.List, BucketRootHandler.ListVersionsAsync),
        new("versioning", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, VersioningAsync),
        new("acl", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, AclAsync),
    ];

    /// <summary>GetBucketLocation: the bucket's region.</summary>
    private static Task LocationAsync(DataRequest request) =>
        XmlAnswer.WriteAsync(request, new XElement("LocationConstraint", request.Bucket.Region));

    /// <summary>GetBucketVersioning: never enabled (an empty configuration, no <c>Status</c>) — buckets here keep one version.</summary>
    private static Task VersioningAsync(DataRequest request) =>
        XmlAnswer.WriteAsync(request, new XElement("VersioningConfiguration"));

    /// <summary>
    /// GetBucketACL, from the bucket's configuration (buckets are configured, not created, so it is not set by
    /// <c>PUT ?acl</c>): the owner's full control, and read for the public group when anonymous callers may read or
    /// list (<c>PublicRead</c> / <c>PublicList</c>) — <c>x-cos-acl</c> <c>public-read</c>, else <c>private</c>.
    /// </summary>
    private static Task AclAsync(DataRequest request)
    {
        var owner = ObjectAcl.OwnerId(request.Bucket);
        var isPublic = request.Bucket.PublicRead || request.Bucket.PublicList;
        ObjectGrant[] grants = isPublic ? [new("FULL_CONTROL", owner), new("READ", ObjectAcl.AllUsersUri)] : [new("FULL_CONTROL", owner)];
        var canned = isPublic ? "public-read" : "private";
        request.Context.Response.Headers["x-cos-acl"] = canned;
        return XmlAnswer.WriteAsync(request, ObjectAcl.ToXml(ObjectAttributes.Default.WithAcl(canned, grants), owner, ObjectAcl.AllUsersUriFor(request.Auth.Dialect)));
    }
}
