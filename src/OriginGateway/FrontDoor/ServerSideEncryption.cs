using Microsoft.AspNetCore.Http;

namespace OriginGateway.FrontDoor;

/// <summary>
/// Server-side encryption is not something this gateway does: objects are stored as they were sent, on its disk or in
/// the S3 bucket behind it. A request that asks for it — COS's <c>x-cos-server-side-encryption*</c>, S3's
/// <c>x-amz-server-side-encryption*</c>: SSE-COS/SSE-S3 (<c>AES256</c>), KMS, or a key of the client's own (SSE-C) —
/// is refused, never stored in the clear while the client believes it encrypted, and a read that brings a key is told
/// the object has none, as S3 tells it for an object not stored with one.
/// </summary>
internal static class ServerSideEncryption
{
    // What each kind of request sends: SSE-S3/SSE-COS and KMS name the algorithm in the first header, SSE-C its
    // algorithm (and key) in the customer headers; a KMS key id or context never comes without the first.
    private static readonly string[] Asked =
    [
        "x-amz-server-side-encryption", "x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-customer-key",
        "x-cos-server-side-encryption", "x-cos-server-side-encryption-customer-algorithm", "x-cos-server-side-encryption-customer-key",
    ];

    private static readonly string[] CopySourceKey =
    [
        "x-amz-copy-source-server-side-encryption-customer-algorithm", "x-amz-copy-source-server-side-encryption-customer-key",
        "x-cos-copy-source-server-side-encryption-customer-algorithm", "x-cos-copy-source-server-side-encryption-customer-key",
    ];

    /// <summary>The status, code and message of the refusal of an object request that names server-side encryption; null when it names none.</summary>
    public static (int Status, string Code, string Message)? Refusal(HttpRequest request)
    {
        // On every object request: a few lookups, nothing allocated unless a header is there.
        var headers = request.Headers;
        var method = request.Method;
        if (Named(headers, Asked) is { } asked)
        {
            if (HttpMethods.IsPut(method) || HttpMethods.IsPost(method))
            {
                return (501, "NotImplemented", $"Server-side encryption ({asked}) is not implemented by this gateway: objects are stored as they are sent. "
                    + "Encrypt the storage behind it, or the data before it is uploaded, and send the request without the encryption headers; nothing was stored.");
            }
            if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
            {
                return (400, "InvalidRequest", $"The encryption parameters are not applicable to this object ({asked}): it is not stored encrypted.");
            }
        }
        if (Named(headers, CopySourceKey) is { } copySource)
        {
            return (400, "InvalidRequest", $"The encryption parameters are not applicable to the copy source ({copySource}): it is not stored encrypted.");
        }
        return null;
    }

    private static string? Named(IHeaderDictionary headers, string[] names)
    {
        foreach (var name in names)
        {
            if (headers.ContainsKey(name))
            {
                return name;
            }
        }
        return null;
    }
}
