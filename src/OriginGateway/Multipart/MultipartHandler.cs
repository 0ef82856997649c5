using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Dependencies;
using OriginGateway.FrontDoor;
using OriginGateway.Observability;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.Multipart;

/// <summary>
/// Multipart upload, COS/S3 style: <c>POST /key?uploads</c> (initiate), <c>PUT /key?partNumber=N&amp;uploadId=U</c>
/// (a part, <c>Content-MD5</c> checked), <c>GET /key?uploadId=U</c> (ListParts), <c>POST /key?uploadId=U</c>
/// (complete), <c>DELETE /key?uploadId=U</c> (abort) and <c>GET /?uploads</c> (ListMultipartUploads).
/// The object appears only when the upload completes, whole, through one commit; its ETag is
/// <c>"&lt;MD5 of the parts' binary MD5s&gt;-&lt;N&gt;"</c>.
/// </summary>
internal sealed partial class MultipartHandler(ObjectWriteHandler writes, LimitsOptions limits, TimeProvider time, ILogger<MultipartHandler> logger) : ISubresourceProvider
{
    private const int MaxListed = 1000;

    /// <summary>The completions joining their parts now, by bucket and upload id: a second completion of one (a client's retry) waits for it.</summary>
    private readonly ConcurrentDictionary<(string Bucket, string UploadId), Lazy<Task<ObjectWriteResult?>>> _completing = new();

    /// <summary>10 000 parts of about 100 bytes of XML each, with room for whitespace.</summary>
    private const int MaxCompleteBodyBytes = 4 * 1024 * 1024;

    public IEnumerable<SubresourceRoute> Routes =>
    [
        new("uploads", ResourceTarget.Object, HttpMethods.Post, BucketOperation.Write, InitiateAsync),
        new("uploadId", ResourceTarget.Object, HttpMethods.Put, BucketOperation.Write, r => UploadPartAsync(r, UploadId(r)), "partNumber"),
        new("uploadId", ResourceTarget.Object, HttpMethods.Get, BucketOperation.Write, r => ListPartsAsync(r, UploadId(r))),
        new("uploadId", ResourceTarget.Object, HttpMethods.Post, BucketOperation.Write, r => CompleteAsync(r, UploadId(r))),
        new("uploadId", ResourceTarget.Object, HttpMethods.Delete, BucketOperation.Write, r => AbortAsync(r, UploadId(r))),
        new("uploads", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Write, ListUploadsAsync),
    ];

    private static string UploadId(DataRequest request) => QueryParameters.Get(request.Query, "uploadId")!;

    private async Task InitiateAsync(DataRequest request)
    {
        var httpRequest = request.Context.Request;
        if (ObjectWriteHandler.RequestAttributes(request, inheritedTags: null, out var code, out var error) is not { } attributes)
        {
            await request.ErrorAsync(400, code!, error!).ConfigureAwait(false);
            return;
        }
        var headers = ObjectWriteHandler.RequestHeaders(httpRequest);
        if (ObjectWriteHandler.RefuseStoredHeaders(httpRequest.ContentType, headers) is var (refusal, why))
        {
            await request.ErrorAsync(400, refusal, why).ConfigureAwait(false);
            return;
        }
        var contentType = ContentTypes.For(httpRequest.ContentType, request.Key);
        var upload = await Uploads(request.Bucket).InitiateAsync(request.Key, contentType, headers, attributes, request.Context.RequestAborted).ConfigureAwait(false);
        LogInitiated(logger, request.Bucket.Name, upload.Id);
        await XmlAnswer.WriteAsync(request, new XElement("InitiateMultipartUploadResult",
            new XElement("Bucket", request.Bucket.Name),
            new XElement("Key", request.Key),
            new XElement("UploadId", upload.Id))).ConfigureAwait(false);
    }

    private async Task UploadPartAsync(DataRequest request, string uploadId)
    {
        var numberText = QueryParameters.Get(request.Query, "partNumber");
        if (!ObjectParts.TryParseNumber(numberText, out var number))
        {
            await request.ErrorAsync(400, "InvalidArgument", $"partNumber must be an integer from 1 to {MultipartUploads.MaxPartNumber}.").ConfigureAwait(false);
            return;
        }
        var uploads = Uploads(request.Bucket);
        if (await FindAsync(request, uploadId).ConfigureAwait(false) is not { } upload)
        {
            return;
        }
        var partKey = MultipartUploads.PartKey(upload, number);
        var copySource = ObjectWriteHandler.CopySource(request.Context.Request);
        var part = copySource is null
            ? await writes.ReceiveAsync(request, uploads.Store, partKey, null, []).ConfigureAwait(false)
            : await CopyPartAsync(request, copySource, partKey).ConfigureAwait(false);
        if (part is null)
        {
            return;
        }
        if (await uploads.FindAsync(upload.Id, request.Context.RequestAborted).ConfigureAwait(false) is null)
        {
            // Completed or aborted while the part was arriving: the part belongs to nothing.
            await uploads.Store.DeleteAsync(partKey, request.Context.RequestAborted).ConfigureAwait(false);
            await NoSuchUploadAsync(request).ConfigureAwait(false);
            return;
        }
        if (copySource is null)
        {
            request.Context.Response.Headers.ETag = part.ETag;
            ObjectWriteHandler.AnswerChecksums(request);
            request.Context.Response.ContentLength = 0;
            return;
        }
        await XmlAnswer.WriteAsync(request, new XElement("CopyPartResult",
            new XElement("ETag", part.ETag),
            new XElement("LastModified", XmlAnswer.Timestamp(part.LastModified)))).ConfigureAwait(false);
    }

    /// <summary>
    /// Upload Part – Copy: the part is a stored object of this or another bucket the caller may read, whole
    /// or the byte range of <c>x-cos-copy-source-range: bytes=first-last</c>. Null once an error has been answered.
    /// </summary>
    private async Task<ObjectEntry?> CopyPartAsync(DataRequest request, string copySource, string partKey)
    {
        if (await writes.ResolveSourceAsync(request, copySource).ConfigureAwait(false) is not var (bucket, key)
            || await ObjectWriteHandler.OpenSourceAsync(request, bucket, key).ConfigureAwait(false) is not var (entry, reader))
        {
            return null;
        }
        using (reader)
        {
            var headers = request.Context.Request.Headers;
            var rangeHeader = headers["x-cos-copy-source-range"];
            var (start, length) = (0L, entry.Length);
            if (rangeHeader.Count > 0 && !TryParseCopyRange(rangeHeader.ToString(), entry.Length, out start, out length))
            {
                await request.ErrorAsync(400, "InvalidArgument", $"x-cos-copy-source-range must be bytes=first-last within the source's {entry.Length} bytes.").ConfigureAwait(false);
                return null;
            }
            if (length > limits.MaxPutSize)
            {
                await request.ErrorAsync(400, "EntityTooLarge", $"A part is at most {limits.MaxPutSize} bytes.").ConfigureAwait(false);
                return null;
            }
            var write = new ObjectWrite(null, [], null, length, limits.MaxPutSize, Durable: true);
            var result = await writes.CopyBodyAsync(request, Uploads(request.Bucket).Store, partKey, reader, start, length, write).ConfigureAwait(false);
            if (result.Status != ObjectWriteStatus.Committed)
            {
                await request.ErrorAsync(500, "InternalError", "The copy did not verify; nothing was stored.").ConfigureAwait(false);
                return null;
            }
            return result.Entry;
        }
    }

    private async Task ListPartsAsync(DataRequest request, string uploadId)
    {
        if (await FindAsync(request, uploadId).ConfigureAwait(false) is not { } upload)
        {
            return;
        }
        if (!TryReadCount(request, "max-parts", out var maxParts) || !TryReadCount(request, "part-number-marker", out var marker, absent: 0, max: int.MaxValue)
            || !TryReadEncoding(request, out var urlEncode))
        {
            await request.ErrorAsync(400, "InvalidArgument", "max-parts and part-number-marker must be non-negative integers; encoding-type must be 'url'.").ConfigureAwait(false);
            return;
        }
        var parts = (await Uploads(request.Bucket).PartsAsync(upload, request.Context.RequestAborted).ConfigureAwait(false)).Where(p => p.Number > marker).ToList();
        var listed = parts.Take(maxParts).ToList();
        var truncated = parts.Count > listed.Count;
        var owner = Owner(request, "Owner");
        var result = new XElement("ListPartsResult",
            new XElement("Bucket", request.Bucket.Name),
            urlEncode ? new XElement("EncodingType", "url") : null,
            new XElement("Key", Text(request.Key, urlEncode)),
            new XElement("UploadId", upload.Id),
            Owner(request, "Initiator"),
            owner,
            new XElement("PartNumberMarker", marker),
            listed.Select(p => new XElement("Part",
                new XElement("PartNumber", p.Number),
                new XElement("LastModified", XmlAnswer.Timestamp(p.Entry.LastModified)),
                new XElement("ETag", p.Entry.ETag),
                new XElement("Size", p.Entry.Length))),
            new XElement("NextPartNumberMarker", listed.Count > 0 ? listed[^1].Number : marker),
            new XElement("StorageClass", "STANDARD"),
            new XElement("MaxParts", maxParts),
            new XElement("IsTruncated", truncated ? "true" : "false"));
        await XmlAnswer.WriteAsync(request, result).ConfigureAwait(false);
    }

    private async Task CompleteAsync(DataRequest request, string uploadId)
    {
        var context = request.Context;
        if (await Uploads(request.Bucket).FindAsync(uploadId, context.RequestAborted).ConfigureAwait(false) is not { } upload || upload.Key != request.Key)
        {
            // A client's retry of a completion that went through (its answer was lost, or came after the client's timeout)
            // gets the same answer, not NoSuchUpload: the upload made the key's object.
            await CompletedOrNoSuchUploadAsync(request, uploadId).ConfigureAwait(false);
            return;
        }
        var body = await BoundedRead.ReadAsync(context.Request.Body, MaxCompleteBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await request.ErrorAsync(400, "MalformedXML", $"The CompleteMultipartUpload document is larger than {MaxCompleteBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }
        if (!await ContentMd5.CheckAsync(request, body).ConfigureAwait(false))
        {
            return;
        }
        if (ParseCompletion(body, out var error) is not { } requested)
        {
            await request.ErrorAsync(400, "MalformedXML", error!).ConfigureAwait(false);
            return;
        }

        // A completion of this upload under way (the client's earlier attempt): its answer is this one's too.
        if (_completing.TryGetValue((request.Bucket.Name, upload.Id), out var running))
        {
            await AnswerCompletionAsync(request, upload.Id, running.Value).ConfigureAwait(false);
            return;
        }
        var uploads = Uploads(request.Bucket);
        var stored = (await uploads.PartsAsync(upload, context.RequestAborted).ConfigureAwait(false)).ToDictionary(p => p.Number);
        var chosen = new List<UploadedPart>(requested.Count);
        for (var i = 0; i < requested.Count; i++)
        {
            var (number, etag) = requested[i];
            if (i > 0 && number <= requested[i - 1].Number)
            {
                await request.ErrorAsync(400, "InvalidPartOrder", "The parts must be listed in ascending part-number order, each once.").ConfigureAwait(false);
                return;
            }
            if (!stored.TryGetValue(number, out var part) || !string.Equals(Unquote(part.Entry.ETag), Unquote(etag), StringComparison.OrdinalIgnoreCase))
            {
                // The parts may have gone with the upload, completed (or aborted) a moment ago.
                if (await AnsweredAsGoneAsync(request, uploadId).ConfigureAwait(false))
                {
                    return;
                }
                await request.ErrorAsync(400, "InvalidPart", $"Part {number} was not uploaded, or its ETag is not {etag}.").ConfigureAwait(false);
                return;
            }
            chosen.Add(part);
        }
        if (chosen.SkipLast(1).FirstOrDefault(p => p.Entry.Length < MultipartUploads.MinPartSize) is { } small)
        {
            await request.ErrorAsync(400, "EntityTooSmall", $"Part {small.Number} is {small.Entry.Length} bytes; every part but the last must be at least {MultipartUploads.MinPartSize} bytes.").ConfigureAwait(false);
            return;
        }

        // A condition of the completed object (If-None-Match: *, If-Match, x-cos-forbid-overwrite): when it fails the
        // upload stays, as it is, for another completion.
        if (await WriteConditions.CheckAsync(request).ConfigureAwait(false) is not (true, var condition))
        {
            return;
        }
        // One completion of an upload at a time: a second (a client that timed out and retried) waits for the first and
        // gets its answer, instead of joining the parts again while the first removes them. The parts are joined to the
        // end even when the client leaves — its retry then finds the object.
        var completing = _completing.GetOrAdd((request.Bucket.Name, upload.Id), _ => new(() => CompleteUploadAsync(request.Bucket, upload, chosen, condition))).Value;
        await AnswerCompletionAsync(request, upload.Id, completing).ConfigureAwait(false);
    }

    /// <summary>Waits for a completion (answering 200 and keeping the line alive when it is slow) and answers its outcome.</summary>
    private async Task AnswerCompletionAsync(DataRequest request, string uploadId, Task<ObjectWriteResult?> completing)
    {
        var context = request.Context;
        ObjectWriteResult? result;
        try
        {
            result = await KeptAliveAnswer.WhenSlowAsync(context, completing, limits.SlowAnswerKeepAlive).ConfigureAwait(false);
        }
        catch (Exception e) when (KeptAliveAnswer.IsBegun(context) && DependencyFailure.Of(e) is { } failure)
        {
            // The 200 has gone out: the failure goes into the body, as S3 reports a completion that failed late.
            LogCompletionFailed(logger, request.Bucket.Name, uploadId, e);
            await request.ErrorAsync(503, "ServiceUnavailable", $"The upload could not be completed ({failure}); it is kept: retry.").ConfigureAwait(false);
            return;
        }
        if (result is { Status: var failed } && WriteConditions.IsConditionFailure(failed))
        {
            await WriteConditions.AnswerAsync(request, failed).ConfigureAwait(false);
            return;
        }
        if (result is not { Status: ObjectWriteStatus.Committed, Entry: { } committed })
        {
            // A part vanished: the upload was aborted (or completed by another replica) meanwhile, or a part was lost.
            if (await AnsweredAsGoneAsync(request, uploadId).ConfigureAwait(false))
            {
                return;
            }
            await request.ErrorAsync(400, "InvalidPart", "A part vanished while the upload was being completed; nothing was stored.").ConfigureAwait(false);
            return;
        }
        await CompletedAsync(request, committed).ConfigureAwait(false);
    }

    /// <summary>Joins the parts into the object and, once it is committed, ends the upload; the one run of a completion that retries join.</summary>
    private async Task<ObjectWriteResult?> CompleteUploadAsync(Bucket bucket, MultipartUpload upload, List<UploadedPart> chosen, WriteCondition? condition)
    {
        // Started from a request that may not wait for it: not on the request's thread, not under its cancellation.
        await Task.Yield();
        try
        {
            var result = await AssembleAsync(bucket, upload, chosen, condition, CancellationToken.None).ConfigureAwait(false);
            if (result is { Status: ObjectWriteStatus.Committed, Entry: { } committed })
            {
                await Uploads(bucket).RemoveAsync(upload, CancellationToken.None).ConfigureAwait(false);
                LogCompleted(logger, bucket.Name, upload.Id, chosen.Count, committed.Length);
            }
            return result;
        }
        finally
        {
            _completing.TryRemove((bucket.Name, upload.Id), out _);
        }
    }

    /// <summary>Whether the upload is gone (then the completion is answered as one of an upload that no longer exists).</summary>
    private async Task<bool> AnsweredAsGoneAsync(DataRequest request, string uploadId)
    {
        if (await Uploads(request.Bucket).FindAsync(uploadId, CancellationToken.None).ConfigureAwait(false) is not null)
        {
            return false;
        }
        await CompletedOrNoSuchUploadAsync(request, uploadId).ConfigureAwait(false);
        return true;
    }

    /// <summary>The answer to a completion of an upload that no longer exists: its result when it made the key's object, else NoSuchUpload.</summary>
    private static async Task CompletedOrNoSuchUploadAsync(DataRequest request, string uploadId)
    {
        if (await request.Bucket.Store.FindAsync(request.Key, CancellationToken.None).ConfigureAwait(false) is { } current
            && current.GatewayMetadata.TryGetValue(CompletedUploadMetadata, out var madeBy) && madeBy == uploadId)
        {
            await CompletedAsync(request, current).ConfigureAwait(false);
            return;
        }
        await NoSuchUploadAsync(request).ConfigureAwait(false);
    }

    private static Task CompletedAsync(DataRequest request, ObjectEntry committed)
    {
        var context = request.Context;
        var location = $"{context.Request.Scheme}://{context.Request.Host}{request.RawPath}";
        return XmlAnswer.WriteAsync(request, new XElement("CompleteMultipartUploadResult",
            new XElement("Location", location),
            new XElement("Bucket", request.Bucket.Name),
            new XElement("Key", request.Key),
            new XElement("ETag", committed.ETag)));
    }

    /// <summary>The gateway metadata of an object a completion made: the upload's id (a retried completion is answered from it).</summary>
    private const string CompletedUploadMetadata = "completed-upload";

    /// <summary>Writes the parts, in order, into one staging object and commits it: the commit's result, or null when a part vanished or was cut short.</summary>
    private async Task<ObjectWriteResult?> AssembleAsync(Bucket bucket, MultipartUpload upload, List<UploadedPart> parts, WriteCondition? condition, CancellationToken cancellationToken)
    {
        var uploads = Uploads(bucket);
        var digests = new byte[parts.Count * 16];
        for (var i = 0; i < parts.Count; i++)
        {
            Convert.FromHexString(parts[i].Entry.Md5Hex, digests.AsSpan(i * 16, 16), out _, out _);
        }
        var etag = "\"" + Convert.ToHexStringLower(MD5.HashData(digests)) + "-" + parts.Count.ToString(CultureInfo.InvariantCulture) + "\"";
        var total = parts.Sum(p => p.Entry.Length);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [CompletedUploadMetadata] = upload.Id };
        if (ObjectParts.Encode([.. parts.Select(p => p.Entry.Length)]) is { } layout)
        {
            metadata[ObjectParts.Metadata] = layout;
        }
        var write = new ObjectWrite(upload.ContentType, upload.Headers, null, total, long.MaxValue, GatewayMetadata: metadata,
            Durable: true, ETag: etag, Attributes: upload.Attributes, Condition: condition);
        using var session = bucket.Store.BeginWrite(upload.Key, write);
        foreach (var part in parts)
        {
            using var reader = await uploads.Store.OpenAsync(part.Entry, cancellationToken).ConfigureAwait(false);
            if (reader is null)
            {
                return null;
            }
            try
            {
                await session.AppendAsync(reader, cancellationToken).ConfigureAwait(false);
            }
            catch (StoredBodyEndedException)
            {
                // A part cut short behind the gateway's back. The store failing to read or to write (a full disk) is not
                // caught: the completion is answered 503, retry — the upload and its parts stay for that retry.
                return null;
            }
        }
        return await session.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task AbortAsync(DataRequest request, string uploadId)
    {
        if (await FindAsync(request, uploadId).ConfigureAwait(false) is not { } upload)
        {
            return;
        }
        await Uploads(request.Bucket).RemoveAsync(upload, request.Context.RequestAborted).ConfigureAwait(false);
        LogAborted(logger, request.Bucket.Name, upload.Id);
        request.Context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary><c>GET /?uploads</c>: uploads in progress by key then id, with prefix, delimiter, markers and max-uploads.</summary>
    public async Task ListUploadsAsync(DataRequest request)
    {
        var query = request.Query;
        var prefix = QueryParameters.Get(query, "prefix") ?? "";
        var delimiter = QueryParameters.Get(query, "delimiter") is { Length: > 0 } d ? d : null;
        var keyMarker = QueryParameters.Get(query, "key-marker") ?? "";
        var idMarker = keyMarker.Length > 0 ? QueryParameters.Get(query, "upload-id-marker") ?? "" : "";
        if (!TryReadCount(request, "max-uploads", out var maxUploads) || !TryReadEncoding(request, out var urlEncode))
        {
            await request.ErrorAsync(400, "InvalidArgument", "max-uploads must be a non-negative integer; encoding-type must be 'url'.").ConfigureAwait(false);
            return;
        }

        var uploads = (await Uploads(request.Bucket).AllAsync(request.Context.RequestAborted).ConfigureAwait(false))
            .Where(u => u.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(u => u.Key, Utf8OrdinalComparer.Instance).ThenBy(u => u.Id, StringComparer.Ordinal);
        var listed = new List<MultipartUpload>();
        var prefixes = new List<string>();
        var truncated = false;
        MultipartUpload? last = null;
        foreach (var upload in uploads)
        {
            var afterMarker = Utf8OrdinalComparer.Instance.Compare(upload.Key, keyMarker) is var c && (c > 0 || (c == 0 && idMarker.Length > 0 && string.CompareOrdinal(upload.Id, idMarker) > 0));
            if (!afterMarker)
            {
                continue;
            }
            string? common = null;
            if (delimiter is not null && upload.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal) is var at and >= 0)
            {
                common = upload.Key[..(at + delimiter.Length)];
                if (prefixes.Count > 0 && prefixes[^1] == common)
                {
                    continue;
                }
            }
            if (listed.Count + prefixes.Count == maxUploads)
            {
                truncated = true;
                break;
            }
            if (common is not null)
            {
                prefixes.Add(common);
            }
            else
            {
                listed.Add(upload);
                last = upload;
            }
        }

        var result = new XElement("ListMultipartUploadsResult",
            new XElement("Bucket", request.Bucket.Name),
            urlEncode ? new XElement("EncodingType", "url") : null,
            new XElement("KeyMarker", Text(keyMarker, urlEncode)),
            new XElement("UploadIdMarker", idMarker),
            new XElement("NextKeyMarker", truncated && last is not null ? Text(last.Key, urlEncode) : ""),
            new XElement("NextUploadIdMarker", truncated && last is not null ? last.Id : ""),
            new XElement("Prefix", Text(prefix, urlEncode)),
            delimiter is not null ? new XElement("Delimiter", Text(delimiter, urlEncode)) : null,
            new XElement("MaxUploads", maxUploads),
            new XElement("IsTruncated", truncated ? "true" : "false"),
            listed.Select(u => new XElement("Upload",
                new XElement("Key", Text(u.Key, urlEncode)),
                new XElement("UploadId", u.Id),
                new XElement("StorageClass", "STANDARD"),
                Owner(request, "Initiator"),
                Owner(request, "Owner"),
                new XElement("Initiated", XmlAnswer.Timestamp(u.Initiated)))),
            prefixes.Select(p => new XElement("CommonPrefixes", new XElement("Prefix", Text(p, urlEncode)))));
        await XmlAnswer.WriteAsync(request, result).ConfigureAwait(false);
    }

    /// <summary><c>bytes=first-last</c>, both inclusive, inside an object of <paramref name="size"/> bytes (no open or suffix forms).</summary>
    internal static bool TryParseCopyRange(string header, long size, out long start, out long length)
    {
        start = length = 0;
        var value = header.Trim();
        if (!value.StartsWith("bytes=", StringComparison.Ordinal))
        {
            return false;
        }
        var dash = value.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0
            || !long.TryParse(value.AsSpan(6, dash - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(value.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || first > last || last >= size)
        {
            return false;
        }
        (start, length) = (first, last - first + 1);
        return true;
    }

    /// <summary>The <c>(PartNumber, ETag)</c> list of a CompleteMultipartUpload document; null with a reason when it is not one.</summary>
    internal static List<(int Number, string ETag)>? ParseCompletion(byte[] body, out string? error)
    {
        if (RequestXml.TryLoad(body, MaxCompleteBodyBytes, out error) is not { Root: { } root })
        {
            error = "CompleteMultipartUpload: " + error;
            return null;
        }
        if (root.Name.LocalName != "CompleteMultipartUpload")
        {
            error = "The document's root must be <CompleteMultipartUpload>.";
            return null;
        }
        var parts = new List<(int, string)>();
        foreach (var part in RequestXml.Children(root, "Part"))
        {
            var numberText = RequestXml.Child(part, "PartNumber")?.Value.Trim();
            var etag = RequestXml.Child(part, "ETag")?.Value.Trim();
            if (!ObjectParts.TryParseNumber(numberText, out var number) || string.IsNullOrEmpty(etag))
            {
                error = $"Every <Part> needs a <PartNumber> from 1 to {MultipartUploads.MaxPartNumber} and an <ETag>.";
                return null;
            }
            parts.Add((number, etag));
        }
        if (parts.Count == 0)
        {
            error = "A CompleteMultipartUpload document names at least one <Part>.";
            return null;
        }
        error = null;
        return parts;
    }

    private async Task<MultipartUpload?> FindAsync(DataRequest request, string uploadId)
    {
        if (await Uploads(request.Bucket).FindAsync(uploadId, request.Context.RequestAborted).ConfigureAwait(false) is { } upload && upload.Key == request.Key)
        {
            return upload;
        }
        await NoSuchUploadAsync(request).ConfigureAwait(false);
        return null;
    }

    private static Task NoSuchUploadAsync(DataRequest request) =>
        request.ErrorAsync(404, "NoSuchUpload", "The specified multipart upload does not exist: it was completed, aborted or swept, or the id is wrong.");

    /// <summary>A non-negative integer parameter, <paramref name="absent"/> when it is not given, at most <paramref name="max"/>.</summary>
    private static bool TryReadCount(DataRequest request, string name, out int value, int absent = MaxListed, int max = MaxListed)
    {
        value = absent;
        if (QueryParameters.Get(request.Query, name) is not { } text)
        {
            return true;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }
        value = Math.Min(value, max);
        return true;
    }

    private static bool TryReadEncoding(DataRequest request, out bool url)
    {
        var encoding = QueryParameters.Get(request.Query, "encoding-type");
        url = encoding == "url";
        return encoding is null || url;
    }

    private static string Text(string value, bool urlEncode) => urlEncode ? CosUrlEncoding.Encode(value) : value;

    private static XElement Owner(DataRequest request, string element) =>
        new(element, new XElement("ID", request.Bucket.AppId), new XElement("DisplayName", request.Bucket.AppId));

    private static string Unquote(string etag) => etag.Trim('"');

    [LoggerMessage(EventId = LogEvents.MultipartInitiated, Level = LogLevel.Information, Message = "Multipart upload {UploadId} initiated in bucket {Bucket}")]
    private static partial void LogInitiated(ILogger logger, string bucket, string uploadId);

    [LoggerMessage(EventId = LogEvents.MultipartCompletionFailed, Level = LogLevel.Warning, Message = "Multipart upload {UploadId} in bucket {Bucket}: the completion failed after its answer had begun; the upload is kept")]
    private static partial void LogCompletionFailed(ILogger logger, string bucket, string uploadId, Exception exception);

    [LoggerMessage(EventId = LogEvents.MultipartCompleted, Level = LogLevel.Information, Message = "Multipart upload {UploadId} in bucket {Bucket} completed: {Parts} parts, {Bytes} bytes")]
    private static partial void LogCompleted(ILogger logger, string bucket, string uploadId, int parts, long bytes);

    [LoggerMessage(EventId = LogEvents.MultipartAborted, Level = LogLevel.Information, Message = "Multipart upload {UploadId} in bucket {Bucket} aborted")]
    private static partial void LogAborted(ILogger logger, string bucket, string uploadId);

    /// <summary>The bucket's multipart uploads: its upload store read as uploads and parts.</summary>
    private MultipartUploads Uploads(Bucket bucket) => new(bucket.UploadStore, time);
}
