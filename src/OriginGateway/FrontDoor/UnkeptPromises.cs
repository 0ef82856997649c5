using Microsoft.AspNetCore.Http;

namespace OriginGateway.FrontDoor;

/// <summary>
/// What a write may ask for that this gateway does not do, refused instead of pretended (S3's answer to a header that
/// implies functionality it does not implement: 501 <c>NotImplemented</c>):
/// <list type="bullet">
/// <item>Server-side encryption: objects are stored as they were sent, on its disk or in the S3 bucket behind it. A
/// request that asks for it — COS's <c>x-cos-server-side-encryption*</c>, S3's <c>x-amz-server-side-encryption*</c>:
/// SSE-COS/SSE-S3 (<c>AES256</c>), KMS, or a key of the client's own (SSE-C) — is never stored in the clear while the
/// client believes it encrypted, and a read that brings a key is told the object has none, as S3 tells it for an
/// object not stored with one.</item>
/// <item>Object Lock (<c>x-amz-object-lock-*</c>): an object a client means to keep from deletion until a date, or under
/// a legal hold, is never stored deletable.</item>
/// </list>
/// </summary>
internal static class UnkeptPromises
{
    // What each kind of request sends: SSE-S3/SSE-COS and KMS name the algorithm in the first header, SSE-C its
    // algorithm (with its key) in the customer headers; a KMS key id or context, or a customer key, never comes alone.
    private static readonly string[] Asked =
    [
        "x-amz-server-side-encryption", "x-amz-server-side-encryption-customer-algorithm",
        "x-cos-server-side-encryption", "x-cos-server-side-encryption-customer-algorithm",
    ];

    private static readonly string[] CopySourceKey =
    [
        "x-amz-copy-source-server-side-encryption-customer-algorithm", "x-cos-copy-source-server-side-encryption-customer-algorithm",
    ];

    private static readonly string[] ObjectLock = ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];

    /// <summary>The status, code and message of the refusal of an object request that asks for either; null when it asks for neither.</summary>
    public static (int Status, string Code, string Message)? Refusal(HttpRequest request)
    {
        // On every object request: a few lookups (four for a read), nothing allocated unless a header is there.
        var headers = request.Headers;
        var method = request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            return Named(headers, Asked) is { } key
                ? (400, "InvalidRequest", $"The encryption parameters are not applicable to this object ({key}): it is not stored encrypted.")
                : null;
        }
        return HttpMethods.IsPut(method) || HttpMethods.IsPost(method) ? WriteRefusal(headers) : null;
    }

    /// <summary>The refusal of a write — its headers, or a form upload's fields — that asks for either; null when it asks for neither.</summary>
    public static (int Status, string Code, string Message)? WriteRefusal(IHeaderDictionary headers)
    {
        if (Named(headers, Asked) is { } asked)
        {
            return (501, "NotImplemented", $"Server-side encryption ({asked}) is not implemented by this gateway: objects are stored as they are sent. "
                + "Encrypt the storage behind it, or the data before it is uploaded, and send the request without the encryption headers; nothing was stored.");
        }
        if (Named(headers, ObjectLock) is { } locked)
        {
            return (501, "NotImplemented", $"Object Lock ({locked}) is not implemented by this gateway: its objects can be deleted and replaced. "
                + "Send the request without the object-lock headers; nothing was stored.");
        }
        return Named(headers, CopySourceKey) is { } copySource
            ? (400, "InvalidRequest", $"The encryption parameters are not applicable to the copy source ({copySource}): it is not stored encrypted.")
            : null;
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
