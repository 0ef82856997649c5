using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using OriginGateway.Security;

namespace OriginGateway.FrontDoor;

/// <summary>The bucket sub-resources of the object API itself: <c>POST /?delete</c> and <c>GET /?location</c>.</summary>
internal sealed class BucketSubresources : ISubresourceProvider
{
    public IEnumerable<SubresourceRoute> Routes =>
    [
        new("delete", ResourceTarget.Bucket, HttpMethods.Post, BucketOperation.Write, BatchDeleteHandler.HandleAsync),
        new("location", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, LocationAsync),
    ];

    /// <summary>GetBucketLocation: the bucket's region.</summary>
    private static Task LocationAsync(DataRequest request) =>
        XmlAnswer.WriteAsync(request, new XElement("LocationConstraint", request.Bucket.Region));
}
