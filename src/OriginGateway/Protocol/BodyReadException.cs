using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>The body being stored could not be read: the client's request broke, not the store.</summary>
internal sealed class BodyReadException(Exception inner) : IOException("The request body could not be read: " + inner.Message, inner)
{
    /// <summary>
    /// Kestrel's refusal of a request body, found in <paramref name="exception"/> or what it wraps: a body over
    /// <c>MaxRequestBodySize</c>, one that arrived slower than <c>MinRequestBodyDataRate</c>, or one whose framing broke.
    /// </summary>
    public static BadHttpRequestException? KestrelRefusal(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is BadHttpRequestException refusal)
            {
                return refusal;
            }
        }
        return null;
    }

    /// <summary>
    /// The error a refused body is answered with, always status 400 as S3 and COS answer it: <c>EntityTooLarge</c>, or
    /// <c>RequestTimeout</c> for a body too slow — the code the S3 SDKs retry (botocore's legacy mode retries exactly a
    /// 400 <c>RequestTimeout</c>) — or <paramref name="otherwise"/> for a body that ended early or whose framing broke.
    /// </summary>
    public static (string Code, string Message) Answer(BadHttpRequestException refusal, (string Code, string Message) otherwise) => refusal.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => ("EntityTooLarge", "Your upload exceeds the maximum allowed object size."),
        StatusCodes.Status408RequestTimeout => ("RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period."),
        _ => otherwise,
    };
}
