using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace OriginGateway.FrontDoor;

/// <summary>The <c>Content-MD5</c> request header: parsed for streamed bodies, checked for read ones.</summary>
internal static class ContentMd5
{
    /// <summary>
    /// The header's 16 bytes (null when absent). False when it is present but not base64 of 16 bytes:
    /// the caller answers <see cref="WriteInvalidAsync"/>.
    /// </summary>
    public static bool TryRead(HttpRequest request, out byte[]? md5)
    {
        md5 = null;
        var header = request.Headers.ContentMD5;
        if (header.Count == 0)
        {
            return true;
        }
        var bytes = new byte[16];
        if (header.Count != 1 || !Convert.TryFromBase64String(header.ToString(), bytes, out var written) || written != 16)
        {
            return false;
        }
        md5 = bytes;
        return true;
    }

    public static Task WriteInvalidAsync(DataRequest request) =>
        request.ErrorAsync(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");

    public static Task WriteMismatchAsync(DataRequest request) =>
        request.ErrorAsync(400, "BadDigest", "The Content-MD5 you specified did not match what was received.");

    /// <summary>Checks a body already read against the header; answers the error and returns false when it does not hold.</summary>
    public static async Task<bool> CheckAsync(DataRequest request, byte[] body)
    {
        if (!TryRead(request.Context.Request, out var expected))
        {
            await WriteInvalidAsync(request).ConfigureAwait(false);
            return false;
        }
        if (expected is not null && !CryptographicOperations.FixedTimeEquals(expected, MD5.HashData(body)))
        {
            await WriteMismatchAsync(request).ConfigureAwait(false);
            return false;
        }
        return true;
    }
}
