using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.FrontDoor;

/// <summary>A data-endpoint request once its bucket, key and signature are known.</summary>
internal sealed class DataRequest(HttpContext context, Bucket bucket, string key, string rawPath, string? rawQuery, List<KeyValuePair<string, string>>? query, CosAuthResult auth)
{
    public HttpContext Context { get; } = context;

    public Bucket Bucket { get; } = bucket;

    /// <summary>The decoded key; empty for the bucket root.</summary>
    public string Key { get; } = key;

    /// <summary>The raw path, for error <c>Resource</c> fields.</summary>
    public string RawPath { get; } = rawPath;

    /// <summary>The raw query (without '?'); null when the request had none.</summary>
    public string? RawQuery { get; } = rawQuery;

    /// <summary>Decoded query parameters; null when the request had no query.</summary>
    public List<KeyValuePair<string, string>>? Query { get; } = query;

    public CosAuthResult Auth { get; } = auth;

    /// <summary>The length of the body's object bytes as declared: <c>Content-Length</c>, or an S3 streaming upload's decoded length.</summary>
    public long? BodyLength { get; init; }

    /// <summary>The part a GET or HEAD asks for (<c>?partNumber=N</c>, see <see cref="ObjectParts"/>); null for the whole object.</summary>
    public int? PartNumber { get; init; }

    public Task ErrorAsync(int status, string code, string message) => CosError.WriteAsync(Context, status, code, message, RawPath);
}
