using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OriginGateway.Hosting;
using OriginGateway.Storage;

namespace OriginGateway.Buckets;

/// <summary>PUT and DELETE of objects. A PUT streams into staging and commits whole or not at all.</summary>
internal sealed partial class ObjectWriteHandler(LimitsOptions limits, ILogger<ObjectWriteHandler> logger)
{
    /// <summary>Response headers a PUT stores with the object (names in lower case).</summary>
    private static readonly string[] StoredHeaders = ["cache-control", "content-disposition", "content-encoding", "content-language", "expires"];

    public async Task PutAsync(DataRequest request)
    {
        var context = request.Context;
        var httpRequest = context.Request;
        if (httpRequest.ContentLength is { } declared && declared > limits.MaxPutSize)
        {
            await request.ErrorAsync(400, "EntityTooLarge", $"Your proposed upload exceeds the maximum allowed object size ({limits.MaxPutSize} bytes).").ConfigureAwait(false);
            return;
        }

        byte[]? md5 = null;
        var contentMd5 = httpRequest.Headers.ContentMD5;
        if (contentMd5.Count > 0)
        {
            md5 = new byte[16];
            if (contentMd5.Count != 1 || !Convert.TryFromBase64String(contentMd5.ToString(), md5, out var written) || written != 16)
            {
                await request.ErrorAsync(400, "InvalidDigest", "The Content-MD5 you specified is not valid.").ConfigureAwait(false);
                return;
            }
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in httpRequest.Headers)
        {
            var lower = name.ToLowerInvariant();
            if (Array.IndexOf(StoredHeaders, lower) >= 0 || lower.StartsWith("x-cos-meta-", StringComparison.Ordinal))
            {
                headers.Add(new(lower, value.ToString()));
            }
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limits.MaxPutSize;
        }

        var write = new ObjectWrite(httpRequest.ContentType, headers, md5, httpRequest.ContentLength, limits.MaxPutSize, Durable: true);
        ObjectWriteResult result;
        try
        {
            result = await request.Bucket.Store.PutAsync(request.Key, httpRequest.Body, write, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // The client went away or sent a broken body: nothing was stored.
            LogIncompleteBody(logger, request.Bucket.Name, e);
            if (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                var tooLarge = e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge };
                await request.ErrorAsync(400, tooLarge ? "EntityTooLarge" : "IncompleteBody",
                    tooLarge ? "Your upload exceeds the maximum allowed object size." : "The request body ended before its declared length.").ConfigureAwait(false);
            }
            return;
        }

        switch (result.Status)
        {
            case ObjectWriteStatus.Committed:
                context.Response.Headers.ETag = result.Entry!.ETag;
                context.Response.ContentLength = 0;
                return;
            case ObjectWriteStatus.DigestMismatch:
                await request.ErrorAsync(400, "BadDigest", "The Content-MD5 you specified did not match what was received.").ConfigureAwait(false);
                return;
            case ObjectWriteStatus.TooLarge:
                await request.ErrorAsync(400, "EntityTooLarge", $"Your upload exceeds the maximum allowed object size ({limits.MaxPutSize} bytes).").ConfigureAwait(false);
                return;
            default:
                await request.ErrorAsync(400, "IncompleteBody", "The request body does not match its Content-Length.").ConfigureAwait(false);
                return;
        }
    }

    public static void Delete(DataRequest request)
    {
        request.Bucket.Store.Delete(request.Key);
        request.Context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "PUT into bucket {Bucket} ended without a whole body; nothing stored")]
    private static partial void LogIncompleteBody(ILogger logger, string bucket, Exception exception);
}
