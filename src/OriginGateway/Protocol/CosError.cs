using System.Security;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>Writes the COS XML error body with its status (<c>01-data-plane.md</c> §1.2).</summary>
internal static class CosError
{
    /// <summary>A failing dependency (the store, the control database): a retryable 503 <c>ServiceUnavailable</c> with <c>Retry-After</c>.</summary>
    public static Task ServiceUnavailableAsync(HttpContext context, string message, string resource) =>
        RetryLaterAsync(context, "ServiceUnavailable", message, resource);

    /// <summary>More requests in flight than the gateway takes at once: a retryable 503 <c>SlowDown</c> with <c>Retry-After</c>.</summary>
    public static Task SlowDownAsync(HttpContext context, string resource) =>
        RetryLaterAsync(context, "SlowDown", "Too many requests are in flight; reduce your request rate and retry.", resource);

    private static Task RetryLaterAsync(HttpContext context, string code, string message, string resource)
    {
        context.Response.Headers.RetryAfter = "1";
        return WriteAsync(context, 503, code, message, resource);
    }

    public static Task WriteAsync(HttpContext context, int status, string code, string message, string resource) =>
        WriteAsync(context, status, code, message, resource, null);

    /// <summary>The same, with more elements before the request id (S3's SignatureDoesNotMatch carries its StringToSign and CanonicalRequest).</summary>
    public static Task WriteAsync(HttpContext context, int status, string code, string message, string resource, IReadOnlyList<(string Name, string Value)>? details)
    {
        var response = context.Response;
        if (KeptAliveAnswer.IsBegun(context))
        {
            // A 200 already sent while the work ran (a long multipart completion): the error follows in its body, as S3's does.
            return response.Body.WriteAsync(Encoding.UTF8.GetBytes(ErrorDocument(context, code, message, resource, details))).AsTask();
        }
        response.StatusCode = status;
        // A client that sent Expect: 100-continue and gets this answer instead of a 100 may not send its body at all —
        // botocore and the AWS CLI do not —, while Kestrel, keeping the connection, would take the next request's bytes
        // for it: the connection is closed after this answer, so the next request starts on a clean one.
        if (context.Request.Headers.Expect.Count > 0 && !response.HasStarted)
        {
            response.Headers.Connection = "close";
        }
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }
        var body = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + ErrorDocument(context, code, message, resource, details));
        response.ContentType = "application/xml";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    private static string ErrorDocument(HttpContext context, string code, string message, string resource, IReadOnlyList<(string Name, string Value)>? details) =>
        "<Error><Code>" + code + "</Code><Message>" + SecurityElement.Escape(message)
        + "</Message><Resource>" + SecurityElement.Escape(resource) + "</Resource>"
        + (details is null ? "" : string.Concat(details.Select(d => "<" + d.Name + ">" + SecurityElement.Escape(d.Value) + "</" + d.Name + ">")))
        + "<RequestId>" + context.Response.Headers[RequestIds.HeaderName].ToString() + "</RequestId></Error>\n";
}
