using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.FrontDoor;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.Cors;

/// <summary><c>GET/PUT/DELETE /?cors</c> (200 / 200 / 204) with COS <c>CORSConfiguration</c> XML.</summary>
internal sealed class CorsEndpoint(CorsService service) : ISubresourceProvider
{
    public IEnumerable<SubresourceRoute> Routes =>
    [
        new("cors", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, HandleAsync),
        new("cors", ResourceTarget.Bucket, HttpMethods.Put, BucketOperation.Configure, HandleAsync),
        new("cors", ResourceTarget.Bucket, HttpMethods.Delete, BucketOperation.Configure, HandleAsync),
    ];

    public async Task HandleAsync(DataRequest request)
    {
        var context = request.Context;
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            if (await service.GetDocumentAsync(request.Bucket, context.RequestAborted).ConfigureAwait(false) is not { } document)
            {
                await request.ErrorAsync(404, "NoSuchCORSConfiguration", "The bucket has no CORS configuration.").ConfigureAwait(false);
                return;
            }
            var body = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + document);
            context.Response.ContentType = "application/xml";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPut(method))
        {
            var body = await BoundedRead.ReadAsync(context.Request.Body, CorsConfiguration.MaxDocumentBytes, context.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                await request.ErrorAsync(400, "InvalidArgument", $"CORSConfiguration: the document is larger than {CorsConfiguration.MaxDocumentBytes} bytes.").ConfigureAwait(false);
                return;
            }
            if (!await ContentMd5.CheckAsync(request, body).ConfigureAwait(false))
            {
                return;
            }
            if (CorsConfiguration.Parse(body, out var errors, out var malformed) is not { } configuration)
            {
                await request.ErrorAsync(400, malformed ? "MalformedXML" : "InvalidArgument", string.Join(" ", errors)).ConfigureAwait(false);
                return;
            }
            await service.PutAsync(request.Bucket, configuration, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentLength = 0;
        }
        else if (HttpMethods.IsDelete(method))
        {
            await service.DeleteAsync(request.Bucket, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else
        {
            await request.ErrorAsync(405, "MethodNotAllowed", "The specified method is not allowed against ?cors.").ConfigureAwait(false);
        }
    }
}
