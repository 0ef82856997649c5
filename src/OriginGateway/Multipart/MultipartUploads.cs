using System.Globalization;
using System.Security.Cryptography;
using OriginGateway.Storage;

namespace OriginGateway.Multipart;

/// <summary>One multipart upload in progress.</summary>
/// <param name="Id">The upload id: lower-case hex, the initiation time first (so ids sort by age).</param>
/// <param name="Key">The object key the upload will complete into.</param>
/// <param name="Initiated">When it was initiated (whole seconds).</param>
/// <param name="ContentType">The Content-Type given at initiation, kept for the object.</param>
/// <param name="Headers">Response headers and <c>x-cos-meta-*</c> given at initiation, kept for the object.</param>
internal sealed record MultipartUpload(string Id, string Key, DateTimeOffset Initiated, string ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers, ObjectAttributes Attributes);

/// <summary>A part of an upload as stored.</summary>
internal sealed record UploadedPart(int Number, ObjectEntry Entry);

/// <summary>
/// One bucket's multipart uploads, kept in a store of their own beside the bucket's objects (never
/// listed with them): the upload record under <c>&lt;uploadId&gt;</c> (an empty body whose metadata is
/// the object's to be), each part under <c>&lt;uploadId&gt;/&lt;NNNNN&gt;</c>. Parts are written like any
/// object — streamed to staging, verified, committed by one rename — so a part is whole or absent, and
/// re-sending a part number replaces it.
/// </summary>
internal sealed class MultipartUploads(IObjectStore store, TimeProvider time)
{
    public const int MaxPartNumber = FrontDoor.ObjectParts.MaxNumber;

    /// <summary>Every part but the last must be at least this long when the upload completes.</summary>
    public const long MinPartSize = 1024 * 1024;

    private const string KeyMetadata = "upload-key";
    private const string AttributesMetadata = "upload-attributes";
    private const int PageSize = 1000;

    /// <summary>Where the parts are written.</summary>
    public IObjectStore Store { get; } = store;

    public async Task<MultipartUpload> InitiateAsync(string key, string? contentType, IReadOnlyList<KeyValuePair<string, string>> headers, ObjectAttributes attributes, CancellationToken cancellationToken)
    {
        var id = time.GetUtcNow().ToUnixTimeSeconds().ToString("x10", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [KeyMetadata] = key };
        if (attributes.ToJson() is { } json)
        {
            metadata[AttributesMetadata] = json;
        }
        var record = new ObjectWrite(contentType, headers, null, 0, 0, metadata, Durable: true);
        var result = await Store.PutAsync(id, Stream.Null, record, cancellationToken).ConfigureAwait(false);
        return ToUpload(result.Entry!)!;
    }

    /// <summary>The upload with this id, or null (unknown, completed or aborted; or not an id at all).</summary>
    public async ValueTask<MultipartUpload?> FindAsync(string uploadId, CancellationToken cancellationToken) =>
        IsId(uploadId) && await Store.FindAsync(uploadId, cancellationToken).ConfigureAwait(false) is { } record ? ToUpload(record) : null;

    /// <summary>The store key of a part.</summary>
    public static string PartKey(MultipartUpload upload, int number) => upload.Id + "/" + number.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>The upload's parts in part-number order.</summary>
    public async Task<List<UploadedPart>> PartsAsync(MultipartUpload upload, CancellationToken cancellationToken)
    {
        var parts = new List<UploadedPart>();
        await foreach (var entry in EnumerateAsync(upload.Id + "/", cancellationToken).ConfigureAwait(false))
        {
            if (int.TryParse(entry.Key.AsSpan(upload.Id.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                parts.Add(new(number, entry));
            }
        }
        return parts;
    }

    /// <summary>Every upload in progress, oldest id first.</summary>
    public async Task<List<MultipartUpload>> AllAsync(CancellationToken cancellationToken)
    {
        var uploads = new List<MultipartUpload>();
        await foreach (var page in PagesAsync("", "/", cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in page.Contents)
            {
                // A listing may carry only key, size and ETag (the S3 store): the record is then looked up.
                var record = entry.GatewayMetadata.Count > 0 ? entry : await Store.FindAsync(entry.Key, cancellationToken).ConfigureAwait(false);
                if (record is not null && ToUpload(record) is { } upload)
                {
                    uploads.Add(upload);
                }
            }
        }
        return uploads;
    }

    /// <summary>Ends an upload: the record first (so no new part is accepted and lists drop it), then its parts.</summary>
    public async Task RemoveAsync(MultipartUpload upload, CancellationToken cancellationToken)
    {
        await Store.DeleteAsync(upload.Id, cancellationToken).ConfigureAwait(false);
        await RemovePartsAsync(upload.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Aborts uploads initiated before <paramref name="initiatedBefore"/> and removes parts whose upload is
    /// gone (a part that arrived while its upload was completed or aborted). Returns the uploads aborted.
    /// </summary>
    public async Task<int> SweepAsync(DateTimeOffset initiatedBefore, CancellationToken cancellationToken)
    {
        var swept = 0;
        foreach (var upload in await AllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (upload.Initiated < initiatedBefore)
            {
                await RemoveAsync(upload, cancellationToken).ConfigureAwait(false);
                swept++;
            }
        }
        var prefixes = new List<string>();
        await foreach (var page in PagesAsync("", "/", cancellationToken).ConfigureAwait(false))
        {
            prefixes.AddRange(page.CommonPrefixes);
        }
        foreach (var prefix in prefixes)
        {
            var id = prefix[..^1];
            if (await Store.FindAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                await RemovePartsAsync(id, cancellationToken).ConfigureAwait(false);
            }
        }
        return swept;
    }

    private async Task RemovePartsAsync(string id, CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        await foreach (var part in EnumerateAsync(id + "/", cancellationToken).ConfigureAwait(false))
        {
            parts.Add(part.Key);
        }
        foreach (var key in parts)
        {
            await Store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    private async IAsyncEnumerable<ObjectEntry> EnumerateAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in PagesAsync(prefix, null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in page.Contents)
            {
                yield return entry;
            }
        }
    }

    private async IAsyncEnumerable<ListResult> PagesAsync(string prefix, string? delimiter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var marker = "";
        while (true)
        {
            var page = await Store.ListAsync(new ListRequest(prefix, delimiter, marker, PageSize), cancellationToken).ConfigureAwait(false);
            yield return page;
            if (!page.IsTruncated || page.NextMarker is null)
            {
                yield break;
            }
            marker = page.NextMarker;
        }
    }

    private static MultipartUpload? ToUpload(ObjectEntry record) =>
        record.GatewayMetadata.TryGetValue(KeyMetadata, out var key)
            ? new MultipartUpload(record.Key, key, record.LastModified, record.ContentType, record.Headers, ObjectAttributes.FromJson(record.GatewayMetadata.GetValueOrDefault(AttributesMetadata)))
            : null;

    private static bool IsId(string value) => value.Length is > 0 and <= 64 && value.All(char.IsAsciiHexDigitLower);
}
