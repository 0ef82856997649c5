using System.Net.Http.Headers;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>Signs test requests with the gateway's own COS signature implementation.</summary>
internal static class CosSigner
{
    public static HttpRequestMessage Sign(this HttpRequestMessage request, string secretId = GatewayProcess.DevSecretId, string secretKey = GatewayProcess.DevSecretKey,
        DateTimeOffset? start = null, TimeSpan? validFor = null)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("absolute URI required");
        var from = start ?? DateTimeOffset.UtcNow;
        var headers = new List<KeyValuePair<string, string>> { new("host", request.Headers.Host ?? uri.Authority) };
        if (request.Content?.Headers.ContentType is { } contentType)
        {
            headers.Add(new("content-type", contentType.ToString()));
        }
        if (request.Content?.Headers.ContentMD5 is { } md5)
        {
            headers.Add(new("content-md5", Convert.ToBase64String(md5)));
        }
        request.Headers.Authorization = null;
        request.Headers.TryAddWithoutValidation("Authorization",
            CosSignature.Authorization(secretId, secretKey, from, from + (validFor ?? TimeSpan.FromMinutes(10)), request.Method.Method, DecodedPath(uri), Query(uri), headers));
        return request;
    }

    /// <summary>A presigned URL for GET of <paramref name="uri"/>.</summary>
    public static Uri Presign(Uri uri, DateTimeOffset start, TimeSpan validFor, string secretId = GatewayProcess.DevSecretId, string secretKey = GatewayProcess.DevSecretKey) =>
        CosSignature.Presign(uri, secretId, secretKey, start, validFor);

    public static string DecodedPath(Uri uri)
    {
        KeyDecoding.TryDecodePath(uri.AbsolutePath, out var path);
        return path;
    }

    public static List<KeyValuePair<string, string>> Query(Uri uri)
    {
        var query = uri.Query.TrimStart('?');
        return query.Length > 0 && QueryParameters.TryParse(query, out var parameters) ? parameters : [];
    }

    public static HttpContent Bytes(byte[] body, string? contentType = null)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return content;
    }
}
