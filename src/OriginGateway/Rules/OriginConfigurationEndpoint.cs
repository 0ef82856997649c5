using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;

namespace OriginGateway.Rules;

/// <summary><c>GET/PUT/DELETE /?origin</c> (200 / 200 / 204).</summary>
internal sealed class OriginConfigurationEndpoint(OriginConfigurationService service)
{
    public async Task HandleAsync(DataRequest request)
    {
        var context = request.Context;
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            var document = service.GetDocument(request.Bucket);
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
            service.Delete(request.Bucket);
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
        var body = await ReadCappedAsync(context.Request.Body, OriginConfigurationXml.MaxDocumentBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await request.ErrorAsync(400, "InvalidArgument", $"OriginConfiguration: the document is larger than {OriginConfigurationXml.MaxDocumentBytes} bytes.").ConfigureAwait(false);
            return;
        }
        var contentMd5 = context.Request.Headers.ContentMD5;
        if (contentMd5.Count > 0)
        {
            Span<byte> expected = stackalloc byte[16];
            if (!Convert.TryFromBase64String(contentMd5.ToString(), expected, out var written) || written != 16)
            {
                await request.ErrorAsync(400, "InvalidDigest", "The Content-MD5 you specified is not valid.").ConfigureAwait(false);
                return;
            }
            if (!CryptographicOperations.FixedTimeEquals(expected, MD5.HashData(body)))
            {
                await request.ErrorAsync(400, "BadDigest", "The Content-MD5 you specified did not match what was received.").ConfigureAwait(false);
                return;
            }
        }

        var result = service.Put(request.Bucket, body);
        if (!result.IsValid)
        {
            await request.ErrorAsync(400, result.ErrorCode, result.Message).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentLength = 0;
    }

    /// <summary>Reads a body of at most <paramref name="limit"/> bytes; null when it is longer.</summary>
    internal static async Task<byte[]?> ReadCappedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length, limit + 1 - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > limit)
                {
                    return null;
                }
            }
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
