using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.FrontDoor;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.Rules;

/// <summary><c>GET/PUT/DELETE /?origin</c> (200 / 200 / 204).</summary>
internal sealed class OriginConfigurationEndpoint(OriginConfigurationService service) : ISubresourceProvider
{
    public IEnumerable<SubresourceRoute> Routes =>
    [
        new("origin", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, HandleAsync),
        new("origin", ResourceTarget.Bucket, HttpMethods.Put, BucketOperation.Configure, HandleAsync),
        new("origin", ResourceTarget.Bucket, HttpMethods.Delete, BucketOperation.Configure, HandleAsync),
    ];

    public async Task HandleAsync(DataRequest request)
    {
        var context = request.Context;
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            var document = await service.GetDocumentAsync(request.Bucket, context.RequestAborted).ConfigureAwait(false);
            if (document is null)
            {
                await request.ErrorAsync(404, "NoSuchOriginConfiguration", "The bucket has no origin configuration.").ConfigureAwait(false);
                return;
            }
            var body = Encoding.UTF8.GetBytes(document);
            context.Response.ContentType = "application/xml";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPut(method))
        {
            await PutAsync(request).ConfigureAwait(false);
        }
        else if (HttpMethods.IsDelete(method))
        {
            await service.DeleteAsync(request.Bucket, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else
        {
            await request.ErrorAsync(405, "MethodNotAllowed", "The specified method is not allowed against ?origin.").ConfigureAwait(false);
        }
    }

    private async Task PutAsync(DataRequest request)
    {
        var context = request.Context;
        var body = await BoundedRead.ReadAsync(context.Request.Body, OriginConfigurationXml.MaxDocumentBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await request.ErrorAsync(400, "InvalidArgument", $"OriginConfiguration: the document is larger than {OriginConfigurationXml.MaxDocumentBytes} bytes.").ConfigureAwait(false);
            return;
        }
        if (!await ContentMd5.CheckAsync(request, body).ConfigureAwait(false))
        {
            return;
        }

        var result = await service.PutAsync(request.Bucket, body, context.RequestAborted).ConfigureAwait(false);
        if (!result.IsValid)
        {
            await request.ErrorAsync(400, result.ErrorCode, result.Message).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentLength = 0;
    }
}
