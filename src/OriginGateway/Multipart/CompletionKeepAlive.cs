using Microsoft.AspNetCore.Http;

namespace OriginGateway.Multipart;

/// <summary>
/// Keeps a client waiting for slow work on the line, as S3 does for a multipart completion: when the work has not
/// finished after <c>every</c>, the answer starts — 200, <c>application/xml</c>, the XML declaration — and a space follows
/// every <c>every</c> until the work ends; what the caller writes then (the result, or an <c>Error</c> document) goes into
/// that body. Clients read the body of a completion's 200 for an error (the AWS SDKs, botocore, rclone do), and their
/// read timeouts — 60 s in botocore and the AWS CLI — never see a silent connection. Work that ends sooner is answered
/// as usual, with its own status.
/// </summary>
internal static class CompletionKeepAlive
{
    private static readonly byte[] Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"u8.ToArray();
    private static readonly byte[] Space = " "u8.ToArray();

    public static async Task<T> AnswerWhenSlowAsync<T>(HttpContext context, Task<T> work, TimeSpan every)
    {
        if (await Task.WhenAny(work, Task.Delay(every, context.RequestAborted)).ConfigureAwait(false) == work || context.RequestAborted.IsCancellationRequested)
        {
            return await work.ConfigureAwait(false);
        }
        var response = context.Response;
        try
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/xml";
            await response.Body.WriteAsync(Declaration, context.RequestAborted).ConfigureAwait(false);
            await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            while (await Task.WhenAny(work, Task.Delay(every, context.RequestAborted)).ConfigureAwait(false) != work)
            {
                await response.Body.WriteAsync(Space, context.RequestAborted).ConfigureAwait(false);
                await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client left: the work still ends (a retry of it finds its outcome); nobody hears this answer.
        }
        return await work.ConfigureAwait(false);
    }
}
