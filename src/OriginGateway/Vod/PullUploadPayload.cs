using System.Text.Json.Serialization;
using OriginGateway.Buckets;

namespace OriginGateway.Vod;

/// <summary>What a PullUpload task keeps: the request as accepted and where its media goes.</summary>
internal sealed record PullUploadPayload(
    PullUploadRequest Request,
    string FileId,
    string Bucket,
    string Key,
    string? CoverKey,
    string SecretId,
    string? MediaType)
{
    /// <summary>The media type: known at submit, or decided at run time and then named by the stored object's Content-Type.</summary>
    public async ValueTask<string?> MediaTypeInAsync(Buckets.BucketRegistry buckets, CancellationToken cancellationToken) =>
        MediaType ?? (buckets.Find(Bucket) is { } bucket
            ? PullUploadRequest.TypeFromContentType((await bucket.Store.FindAsync(Key, cancellationToken).ConfigureAwait(false))?.ContentType)
            : null);
}

/// <summary>The media and cover keys an <c>ExpireTime</c> deletes.</summary>
internal sealed record ExpirePayload(string FileId, string[] Keys);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PullUploadPayload))]
[JsonSerializable(typeof(ExpirePayload))]
internal sealed partial class VodJsonContext : JsonSerializerContext;
