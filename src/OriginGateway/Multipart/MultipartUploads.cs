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
internal sealed record MultipartUpload(string Id, string Key, DateTimeOffset Initiated, string ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers);

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
    public const int MaxPartNumber = 10000;

    /// <summary>Every part but the last must be at least this long when the upload completes.</summary>
    public const long MinPartSize = 1024 * 1024;

    private const string KeyMetadata = "upload-key";
    private const int PageSize = 1000;

    /// <summary>Where the parts are written.</summary>
    public IObjectStore Store { get; } = store;

    public async Task<MultipartUpload> InitiateAsync(string key, string? contentType, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var id = time.GetUtcNow().ToUnixTimeSeconds().ToString("x10", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [KeyMetadata] = key };
        var record = new ObjectWrite(contentType, headers, null, 0, 0, metadata, Durable: true);
        var result = await Store.PutAsync(id, Stream.Null, record, cancellationToken).ConfigureAwait(false);
        return ToUpload(result.Entry!)!;
    }

    /// <summary>The upload with this id, or null (unknown, completed or aborted; or not an id at all).</summary>
    public MultipartUpload? Find(string uploadId) =>
        IsId(uploadId) && Store.Find(uploadId) is { } record ? ToUpload(record) : null;

    /// <summary>The store key of a part.</summary>
    public static string PartKey(MultipartUpload upload, int number) => upload.Id + "/" + number.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>The upload's parts in part-number order.</summary>
    public List<UploadedPart> Parts(MultipartUpload upload)
    {
        var parts = new List<UploadedPart>();
        foreach (var entry in Enumerate(upload.Id + "/", null))
        {
            if (int.TryParse(entry.Key.AsSpan(upload.Id.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                parts.Add(new(number, entry));
            }
        }
        return parts;
    }

    /// <summary>Every upload in progress, oldest id first.</summary>
    public List<MultipartUpload> All()
    {
        var uploads = new List<MultipartUpload>();
        foreach (var entry in Enumerate("", "/"))
        {
            if (ToUpload(entry) is { } upload)
            {
                uploads.Add(upload);
            }
        }
        return uploads;
    }

    /// <summary>Ends an upload: the record first (so no new part is accepted and lists drop it), then its parts.</summary>
    public void Remove(MultipartUpload upload)
    {
        Store.Delete(upload.Id);
        RemoveParts(upload.Id);
    }

    /// <summary>
    /// Aborts uploads initiated before <paramref name="initiatedBefore"/> and removes parts whose upload is
    /// gone (a part that arrived while its upload was completed or aborted). Returns the uploads aborted.
    /// </summary>
    public int Sweep(DateTimeOffset initiatedBefore)
    {
        var swept = 0;
        foreach (var upload in All())
        {
            if (upload.Initiated < initiatedBefore)
            {
                Remove(upload);
                swept++;
            }
        }
        foreach (var prefix in Prefixes())
        {
            var id = prefix[..^1];
            if (Store.Find(id) is null)
            {
                RemoveParts(id);
            }
        }
        return swept;
    }

    private void RemoveParts(string id)
    {
        foreach (var part in Enumerate(id + "/", null).ToList())
        {
            Store.Delete(part.Key);
        }
    }

    private List<string> Prefixes()
    {
        var prefixes = new List<string>();
        var marker = "";
        while (true)
        {
            var page = Store.List(new ListRequest("", "/", marker, PageSize));
            prefixes.AddRange(page.CommonPrefixes);
            if (!page.IsTruncated || page.NextMarker is null)
            {
                return prefixes;
            }
            marker = page.NextMarker;
        }
    }

    private IEnumerable<ObjectEntry> Enumerate(string prefix, string? delimiter)
    {
        var marker = "";
        while (true)
        {
            var page = Store.List(new ListRequest(prefix, delimiter, marker, PageSize));
            foreach (var entry in page.Contents)
            {
                yield return entry;
            }
            if (!page.IsTruncated || page.NextMarker is null)
            {
                yield break;
            }
            marker = page.NextMarker;
        }
    }

    private static MultipartUpload? ToUpload(ObjectEntry record) =>
        record.GatewayMetadata.TryGetValue(KeyMetadata, out var key)
            ? new MultipartUpload(record.Key, key, record.LastModified, record.ContentType, record.Headers)
            : null;

    private static bool IsId(string value) => value.Length is > 0 and <= 64 && value.All(char.IsAsciiHexDigitLower);
}
