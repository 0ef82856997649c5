using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary><c>GET/PUT/DELETE /?policy</c> (200 / 204 / 204) with COS policy JSON.</summary>
internal sealed class BucketPolicyEndpoint(BucketPolicyService policies) : ISubresourceProvider
{
    public IEnumerable<SubresourceRoute> Routes =>
    [
        new("policy", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, HandleAsync),
        new("policy", ResourceTarget.Bucket, HttpMethods.Put, BucketOperation.Configure, HandleAsync),
        new("policy", ResourceTarget.Bucket, HttpMethods.Delete, BucketOperation.Configure, HandleAsync),
    ];

    public async Task HandleAsync(DataRequest request)
    {
        var context = request.Context;
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            if (await policies.GetDocumentAsync(request.Bucket.Name, context.RequestAborted).ConfigureAwait(false) is not { } document)
            {
                await request.ErrorAsync(404, "NoSuchBucketPolicy", "The bucket has no policy.").ConfigureAwait(false);
                return;
            }
            var body = Encoding.UTF8.GetBytes(document);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPut(method))
        {
            var body = await BoundedRead.ReadAsync(context.Request.Body, BucketPolicy.MaxDocumentBytes, context.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                await request.ErrorAsync(400, "MalformedPolicy", $"The policy is larger than {BucketPolicy.MaxDocumentBytes} bytes.").ConfigureAwait(false);
                return;
            }
            if (await policies.PutAsync(request.Bucket.Name, body, context.RequestAborted).ConfigureAwait(false) is { } error)
            {
                await request.ErrorAsync(400, "MalformedPolicy", error).ConfigureAwait(false);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else if (HttpMethods.IsDelete(method))
        {
            await policies.DeleteAsync(request.Bucket.Name, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else
        {
            await request.ErrorAsync(405, "MethodNotAllowed", "The specified method is not allowed against ?policy.").ConfigureAwait(false);
        }
    }
}
