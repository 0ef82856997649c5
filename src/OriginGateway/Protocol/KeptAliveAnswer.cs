using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>
/// Keeps a client waiting for slow work on the line, as S3 does for a multipart completion: when the work has not
/// finished after <c>every</c>, the answer begins — 200, <c>application/xml</c>, the XML declaration — and a space follows
/// every <c>every</c> until the work ends. What is written then (the result through <c>XmlAnswer</c>, or an <c>Error</c>
/// through <see cref="CosError"/>) goes into that body: both ask <see cref="IsBegun"/>. Clients read the body of a
/// completion's 200 for an error (the AWS SDKs, botocore, rclone do), and their read timeouts — 60 s in botocore and the
/// AWS CLI — never see a silent connection. Work that ends sooner is answered as usual, with its own status.
/// </summary>
internal static class KeptAliveAnswer
{
    private static readonly object Marker = new();
    private static readonly byte[] Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"u8.ToArray();
    private static readonly byte[] Space = " "u8.ToArray();

    /// <summary>Whether this request's answer was begun here: its result or its error follows in the body, without a status or a declaration.</summary>
    public static bool IsBegun(HttpContext context) => context.Items.ContainsKey(Marker);

    public static async Task<T> WhenSlowAsync<T>(HttpContext context, Task<T> work, TimeSpan every)
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
            context.Items[Marker] = true;
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
