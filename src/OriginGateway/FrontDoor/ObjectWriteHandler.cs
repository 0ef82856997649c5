using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Dependencies;
using OriginGateway.Observability;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>PUT and DELETE of objects. A PUT streams into staging and commits whole or not at all.</summary>
internal sealed partial class ObjectWriteHandler(LimitsOptions limits, BucketRegistry buckets, ILogger<ObjectWriteHandler> logger)
{
    /// <summary>Response headers a PUT stores with the object (names in lower case).</summary>
    private static readonly string[] StoredHeaders = ["cache-control", "content-disposition", "content-encoding", "content-language", "expires"];

    public async Task PutAsync(DataRequest request)
    {
        var httpRequest = request.Context.Request;
        if (RequestAttributes(request, inheritedTags: null, out var code, out var error) is not { } attributes)
        {
            await request.ErrorAsync(400, code!, error!).ConfigureAwait(false);
            return;
        }
        var headers = RequestHeaders(httpRequest);
        if (RefuseStoredHeaders(httpRequest.ContentType, headers) is var (refusal, why))
        {
            await request.ErrorAsync(400, refusal, why).ConfigureAwait(false);
            return;
        }
        if (await WriteConditions.CheckAsync(request).ConfigureAwait(false) is not (true, var condition))
        {
            return;
        }
        // An S3 checksum sent as a header or as a trailer is verified as the body is read (S3RequestBody) and kept, for
        // GET and HEAD with x-amz-checksum-mode: ENABLED (a trailer's joins the headers at the commit: ReceiveAsync).
        if (request.Auth.Dialect == AuthDialect.S3)
        {
            headers.AddRange(ContentChecksum.SentWith(httpRequest.Headers).Select(c => new KeyValuePair<string, string>(ContentChecksum.HeaderOf(c.Algorithm), c.Value)));
        }
        if (await ReceiveAsync(request, request.Bucket.Store, request.Key, ContentTypes.For(httpRequest.ContentType, request.Key), headers, attributes, condition, keepTrailingChecksum: true).ConfigureAwait(false) is { } entry)
        {
            request.Context.Response.Headers.ETag = entry.ETag;
            AnswerChecksums(request);
            request.Context.Response.ContentLength = 0;
        }
    }

    /// <summary>The S3 checksums a write's body held — sent as headers or as its trailer — in its answer, as S3 gives them.</summary>
    public static void AnswerChecksums(DataRequest request)
    {
        if (request.Auth.Dialect != AuthDialect.S3)
        {
            return;
        }
        var response = request.Context.Response.Headers;
        foreach (var (algorithm, value) in ContentChecksum.SentWith(request.Context.Request.Headers))
        {
            response[ContentChecksum.HeaderOf(algorithm)] = value;
        }
        if (request.Context.Features.Get<ITrailingChecksumFeature>()?.Checksum is var (name, sent))
        {
            response[name] = sent;
        }
    }

    /// <summary>
    /// Streams the request body into <paramref name="store"/> under <paramref name="key"/>, checking
    /// <c>Content-MD5</c>, <c>Content-Length</c> and <c>Limits:MaxPutSize</c>: the committed entry, or
    /// null once the error has been answered (nothing stored). Object PUTs and multipart parts alike; a PUT's
    /// <paramref name="condition"/> is checked when it commits. An object (not a part, whose checksum is only answered)
    /// keeps an S3 upload's trailing checksum when <paramref name="keepTrailingChecksum"/>.
    /// </summary>
    public async Task<ObjectEntry?> ReceiveAsync(DataRequest request, IObjectStore store, string key, string? contentType, IReadOnlyList<KeyValuePair<string, string>> headers, ObjectAttributes? attributes = null, WriteCondition? condition = null, bool keepTrailingChecksum = false)
    {
        var context = request.Context;
        var httpRequest = context.Request;
        if (request.BodyLength is { } declared && declared > limits.MaxPutSize)
        {
            await request.ErrorAsync(400, "EntityTooLarge", $"Your proposed upload exceeds the maximum allowed object size ({limits.MaxPutSize} bytes).").ConfigureAwait(false);
            return null;
        }
        if (!ContentMd5.TryRead(httpRequest, out var md5))
        {
            await ContentMd5.WriteInvalidAsync(request).ConfigureAwait(false);
            return null;
        }
        // The transfer's bytes are capped too — unless it is an S3 streaming upload, whose framing adds to the object's
        // bytes: its decoder refuses more than the declared length, which is within the limit.
        if (request.Auth.Streaming is null && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limits.MaxPutSize;
        }

        var trailing = keepTrailingChecksum ? request.Context.Features.Get<ITrailingChecksumFeature>() : null;
        var write = new ObjectWrite(contentType, headers, md5, request.BodyLength, limits.MaxPutSize, Durable: true, Attributes: attributes, Condition: condition,
            TrailingHeaders: trailing is null ? null : () => trailing.Checksum is { } checksum ? [checksum] : []);
        return await StoreAsync(request, store, key, httpRequest.Body, write).ConfigureAwait(false);
    }

    /// <summary>
    /// Streams <paramref name="body"/> — the request's, or the file of a form upload — into <paramref name="store"/>:
    /// the committed entry, or null once the failure has been answered (nothing stored): a body that broke or was
    /// refused while read, a store that failed, a digest, size or condition that did not hold.
    /// </summary>
    public async Task<ObjectEntry?> StoreAsync(DataRequest request, IObjectStore store, string key, Stream body, ObjectWrite write)
    {
        var context = request.Context;
        ObjectWriteResult result;
        try
        {
            result = await store.PutAsync(key, body, write, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BodyReadException || (e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            // The client went away or sent a broken body: nothing was stored.
            if (logger.IsEnabled(LogLevel.Information))
            {
                var keyHash = KeyHash.Of(request.Key);
                LogIncompleteBody(logger, request.Bucket.Name, keyHash, e);
            }
            if (BodyRejectedException.Of(e) is { } rejected && !context.Response.HasStarted)
            {
                await request.ErrorAsync(rejected.Status, rejected.Code, rejected.Message).ConfigureAwait(false);
            }
            else if (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                (string Code, string Message) incomplete = ("IncompleteBody", "The request body ended before its declared length.");
                var (code, message) = BodyReadException.KestrelRefusal(e) is { } refusal ? BodyReadException.Answer(refusal, incomplete) : incomplete;
                await request.ErrorAsync(400, code, message).ConfigureAwait(false);
            }
            return null;
        }
        catch (Exception e) when (DependencyFailure.Of(e) is not null || e is OperationCanceledException)
        {
            // The store failed (or timed out) while the body was being written: nothing was stored, and
            // the client may retry — never an error that blames its request.
            LogStoreFailed(logger, request.Bucket.Name, KeyHash.Of(request.Key), e);
            if (!context.Response.HasStarted)
            {
                await CosError.ServiceUnavailableAsync(context, DependencyFailure.Message(DependencyFailure.Store), request.RawPath).ConfigureAwait(false);
            }
            return null;
        }

        switch (result.Status)
        {
            case ObjectWriteStatus.Committed:
                return result.Entry!;
            case ObjectWriteStatus.DigestMismatch:
                await ContentMd5.WriteMismatchAsync(request).ConfigureAwait(false);
                return null;
            case ObjectWriteStatus.TooLarge:
                await request.ErrorAsync(400, "EntityTooLarge", $"Your upload exceeds the maximum allowed object size ({write.MaxLength} bytes).").ConfigureAwait(false);
                return null;
            case var failed when WriteConditions.IsConditionFailure(failed):
                await WriteConditions.AnswerAsync(request, failed).ConfigureAwait(false);
                return null;
            default:
                await request.ErrorAsync(400, "IncompleteBody", "The request body does not match its Content-Length.").ConfigureAwait(false);
                return null;
        }
    }

    /// <summary>
    /// The ACL and tags a new object gets from the request (<c>x-cos-acl</c>, <c>x-cos-grant-*</c>,
    /// <c>x-cos-tagging</c>; <paramref name="inheritedTags"/> when it names no tags); null with the code and
    /// message of a 400 when a value is not valid.
    /// </summary>
    internal static ObjectAttributes? RequestAttributes(DataRequest request, IReadOnlyList<KeyValuePair<string, string>>? inheritedTags, out string? code, out string? error) =>
        RequestAttributes(request.Context.Request.Headers, request.Bucket, inheritedTags, out code, out error);

    /// <summary>
    /// The same from any set of headers (a form upload's fields); <paramref name="sentTags"/>, tags the request sent in a
    /// document of their own (a form's <c>tagging</c> field), take the place of <c>x-cos-tagging</c>.
    /// </summary>
    internal static ObjectAttributes? RequestAttributes(IHeaderDictionary headers, Bucket bucket, IReadOnlyList<KeyValuePair<string, string>>? inheritedTags, out string? code, out string? error,
        IReadOnlyList<KeyValuePair<string, string>>? sentTags = null)
    {
        if (ObjectAcl.FromHeaders(headers, ObjectAcl.OwnerId(bucket), out error) is not var (acl, grants))
        {
            code = "InvalidArgument";
            return null;
        }
        IReadOnlyList<KeyValuePair<string, string>>? tags = sentTags ?? inheritedTags ?? [];
        if (sentTags is null && headers["x-cos-tagging"].ToString() is { Length: > 0 } tagging && (tags = ObjectTagging.FromHeader(tagging, out error)) is null)
        {
            code = "InvalidTag";
            return null;
        }
        code = null;
        return new ObjectAttributes(acl, grants, tags);
    }

    /// <summary>The code of a write whose user metadata is over <see cref="MaxUserMetadataBytes"/> (S3's and COS's).</summary>
    internal const string MetadataTooLarge = "MetadataTooLarge";

    /// <summary>
    /// S3's and COS's bound on an object's user metadata: 2 KB, the UTF-8 bytes of every <c>x-cos-meta-*</c> (or
    /// <c>x-amz-meta-*</c>) name after its prefix and of its value. A larger set is refused before anything is stored: every
    /// read would carry it, past what proxies and clients take in a response's headers.
    /// </summary>
    internal const int MaxUserMetadataBytes = 2048;

    /// <summary>
    /// Why a write's headers cannot be stored — a value no client could be sent back (a control character: stored, it
    /// would fail every read of the object), or user metadata over <see cref="MaxUserMetadataBytes"/> — as the error's code
    /// and message; null when they can.
    /// </summary>
    internal static (string Code, string Message)? RefuseStoredHeaders(string? contentType, IReadOnlyList<KeyValuePair<string, string>> stored)
    {
        if (contentType is not null && !HeaderValues.IsSendable(contentType))
        {
            return ("InvalidArgument", "The value of content-type contains a control character.");
        }
        var bytes = 0;
        foreach (var (name, value) in stored)
        {
            if (!HeaderValues.IsSendable(value))
            {
                return ("InvalidArgument", $"The value of {name} contains a control character.");
            }
            if (name.StartsWith(UserMetadataPrefix, StringComparison.Ordinal))
            {
                bytes += System.Text.Encoding.UTF8.GetByteCount(name) - UserMetadataPrefix.Length + System.Text.Encoding.UTF8.GetByteCount(value);
            }
        }
        return bytes > MaxUserMetadataBytes ? (MetadataTooLarge, "Your metadata headers exceed the maximum allowed metadata size.") : null;
    }

    private const string UserMetadataPrefix = "x-cos-meta-";

    /// <summary>The headers a PUT (or a copy with the Replaced directive) stores, from the request.</summary>
    internal static List<KeyValuePair<string, string>> RequestHeaders(HttpRequest httpRequest) => StoredHeadersOf(httpRequest.Headers);

    /// <summary>The headers an object is stored with, from a request's headers or a form upload's fields.</summary>
    internal static List<KeyValuePair<string, string>> StoredHeadersOf(IHeaderDictionary source)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in source)
        {
            var lower = name.ToLowerInvariant();
            // An empty value is no value (the COS SDK sends an empty Cache-Control when it has none).
            if ((Array.IndexOf(StoredHeaders, lower) >= 0 || lower.StartsWith(UserMetadataPrefix, StringComparison.Ordinal)) && value.ToString() is { Length: > 0 } text)
            {
                headers.Add(new(lower, text));
            }
        }
        return headers;
    }

    /// <summary>The copy source header of a PUT, if any (<c>x-cos-copy-source</c>; S3's <c>x-amz-copy-source</c> is read as it).</summary>
    public static string? CopySource(HttpRequest request) =>
        request.Headers["x-cos-copy-source"] is { Count: > 0 } cos ? cos.ToString() : null;

    /// <summary>
    /// <c>PUT</c> with <c>x-cos-copy-source</c> (<c>&lt;bucket&gt;.cos.&lt;region&gt;.myqcloud.com/&lt;key&gt;</c>,
    /// a host of a gateway bucket, or <c>/bucket/key</c>; the key URL-encoded): the source — in this
    /// bucket or another gateway bucket the caller may read — is copied whole and committed atomically,
    /// its metadata kept (<c>x-cos-metadata-directive: Copy</c>, the default) or taken from the request
    /// (<c>Replaced</c>). Answers <c>CopyObjectResult</c>.
    /// </summary>
    public async Task CopyAsync(DataRequest request, string source)
    {
        var context = request.Context;
        if (await ResolveSourceAsync(request, source).ConfigureAwait(false) is not var (sourceBucket, key))
        {
            return;
        }
        var directive = context.Request.Headers["x-cos-metadata-directive"].ToString().ToLowerInvariant();
        var replace = directive switch
        {
            "" or "copy" => false,
            "replaced" or "replace" => true,
            _ => (bool?)null,
        };
        if (replace is null)
        {
            await request.ErrorAsync(400, "InvalidArgument", "x-cos-metadata-directive must be Copy or Replaced.").ConfigureAwait(false);
            return;
        }
        var taggingDirective = context.Request.Headers["x-cos-tagging-directive"].ToString().ToLowerInvariant();
        if (taggingDirective is not ("" or "copy" or "replaced" or "replace"))
        {
            await request.ErrorAsync(400, "InvalidArgument", "x-cos-tagging-directive must be Copy or Replaced.").ConfigureAwait(false);
            return;
        }
        if (sourceBucket == request.Bucket && key == request.Key && replace == false)
        {
            await request.ErrorAsync(400, "InvalidRequest", "Copying an object onto itself needs x-cos-metadata-directive: Replaced.").ConfigureAwait(false);
            return;
        }
        // A condition of the destination (If-None-Match: *, If-Match, x-cos-forbid-overwrite); the source's are x-cos-copy-source-if-*.
        if (await WriteConditions.CheckAsync(request).ConfigureAwait(false) is not (true, var condition))
        {
            return;
        }
        if (await OpenSourceAsync(request, sourceBucket, key).ConfigureAwait(false) is not var (entry, reader))
        {
            return;
        }
        using (reader)
        {
            // The copy gets the request's ACL (never the source's), and the source's tags unless told to replace them.
            var inheritedTags = taggingDirective is "replaced" or "replace" ? null : entry.Attributes.Tags;
            if (RequestAttributes(request, inheritedTags, out var code, out var error) is not { } attributes)
            {
                await request.ErrorAsync(400, code!, error!).ConfigureAwait(false);
                return;
            }
            var replacing = replace == true ? RequestHeaders(context.Request) : null;
            if (replacing is not null && RefuseStoredHeaders(context.Request.ContentType, replacing) is var (refusal, why))
            {
                await request.ErrorAsync(400, refusal, why).ConfigureAwait(false);
                return;
            }
            var write = replacing is not null
                ? new ObjectWrite(ContentTypes.For(context.Request.ContentType, request.Key), replacing, null, entry.Length, limits.MaxPutSize, Durable: true, Attributes: attributes, Condition: condition)
                : new ObjectWrite(entry.ContentType, entry.Headers, null, entry.Length, limits.MaxPutSize, Durable: true, Attributes: attributes, Condition: condition);
            var result = await CopyBodyAsync(request, request.Bucket.Store, request.Key, reader, 0, entry.Length, write).ConfigureAwait(false);
            if (WriteConditions.IsConditionFailure(result.Status))
            {
                await WriteConditions.AnswerAsync(request, result.Status).ConfigureAwait(false);
                return;
            }
            if (result.Status != ObjectWriteStatus.Committed)
            {
                await request.ErrorAsync(500, "InternalError", "The copy did not verify; nothing was stored.").ConfigureAwait(false);
                return;
            }
            await XmlAnswer.WriteAsync(request, new XElement("CopyObjectResult",
                new XElement("ETag", result.Entry!.ETag),
                new XElement("LastModified", XmlAnswer.Timestamp(result.Entry.LastModified)))).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The bucket and key a copy source header names, when the bucket exists and the caller may read it;
    /// otherwise null once the error has been answered.
    /// </summary>
    public async Task<(Bucket Bucket, string Key)?> ResolveSourceAsync(DataRequest request, string source)
    {
        if (ParseSource(source) is not var (bucketName, key) || KeyDecoding.Check(key) != KeyStatus.Valid || key.Length == 0)
        {
            await request.ErrorAsync(400, "InvalidArgument", "x-cos-copy-source must name a bucket and a key: <bucket>.cos.<region>.myqcloud.com/<key> or /<bucket>/<key>.").ConfigureAwait(false);
            return null;
        }
        if (buckets.Find(bucketName) is not { } sourceBucket)
        {
            await request.ErrorAsync(404, "NoSuchBucket", "The copy source bucket does not exist.").ConfigureAwait(false);
            return null;
        }
        if (ExpectedBucketOwner.Refusal(request.Context.Request.Headers, ExpectedBucketOwner.SourceHeader, sourceBucket) is { } notTheOwner)
        {
            await request.ErrorAsync(403, "AccessDenied", notTheOwner).ConfigureAwait(false);
            return null;
        }
        // Buckets are unversioned: a source's versionId=null is its current object; another version does not exist, and
        // copying the current object in its place would copy other bytes than the ones asked for.
        var sourceQuery = source.IndexOf('?', StringComparison.Ordinal);
        List<KeyValuePair<string, string>>? sourceParameters = null;
        if (sourceQuery >= 0 && !QueryParameters.TryParse(source[(sourceQuery + 1)..].Trim(), out sourceParameters))
        {
            await request.ErrorAsync(400, "InvalidArgument", "x-cos-copy-source: the part after '?' is not a valid query.").ConfigureAwait(false);
            return null;
        }
        if (UnversionedObjects.NamesAnotherVersion(QueryParameters.Get(sourceParameters, "versionId")))
        {
            await request.ErrorAsync(404, "NoSuchVersion", "The copy source version does not exist: " + UnversionedObjects.OnlyNull).ConfigureAwait(false);
            return null;
        }
        if (Security.BucketAccess.Check(request.Auth, sourceBucket.Name, sourceBucket.PublicRead, sourceBucket.PublicList, Security.BucketOperation.ReadObject) is { } denied)
        {
            await request.ErrorAsync(403, "AccessDenied", "Copy source: " + denied).ConfigureAwait(false);
            return null;
        }
        return (sourceBucket, key);
    }

    /// <summary>The source object, opened (the caller disposes the reader); null once 404 NoSuchKey has been answered.</summary>
    public static async Task<(ObjectEntry Entry, ObjectReader Reader)?> OpenSourceAsync(DataRequest request, Bucket bucket, string key)
    {
        // A version replaced between the lookup and the open is looked up once more.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await bucket.Store.FindAsync(key, request.Context.RequestAborted).ConfigureAwait(false) is not { } entry)
            {
                break;
            }
            if (await bucket.Store.OpenAsync(entry, request.Context.RequestAborted).ConfigureAwait(false) is { } reader)
            {
                return (entry, reader);
            }
        }
        await request.ErrorAsync(404, "NoSuchKey", "The copy source key does not exist.").ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes of a stored body from <paramref name="offset"/> into a new object of
    /// <paramref name="store"/> and commits it, for a copy request: a copy still running after <c>Limits:SlowAnswerKeepAlive</c>
    /// has its 200 begun and kept alive (<see cref="KeptAliveAnswer"/>), as S3 answers a long copy, so that the client's read
    /// timeout does not fire while gigabytes are copied; what follows is written into that body. A client that leaves stops it.
    /// </summary>
    public Task<ObjectWriteResult> CopyBodyAsync(DataRequest request, IObjectStore store, string key, ObjectReader reader, long offset, long length, ObjectWrite write) =>
        KeptAliveAnswer.WhenSlowAsync(request.Context, CopyBodyAsync(store, key, reader, offset, length, write, request.Context.RequestAborted), limits.SlowAnswerKeepAlive);

    private static async Task<ObjectWriteResult> CopyBodyAsync(IObjectStore store, string key, ObjectReader reader, long offset, long length, ObjectWrite write, CancellationToken cancellationToken)
    {
        // Off the request's thread: a local store's reads and writes complete without waiting, and the whole copy would
        // run before its answer could be kept alive.
        await Task.Yield();
        using var session = store.BeginWrite(key, write);
        try
        {
            await session.AppendAsync(reader, offset, length, cancellationToken).ConfigureAwait(false);
        }
        catch (StoredBodyEndedException)
        {
            // The source file was cut short behind the gateway's back: nothing is committed. (The store failing to read
            // or write — a full disk — is not caught here: the copy is answered 503, retry, not blamed on its source.)
            return new(ObjectWriteStatus.LengthMismatch, null);
        }
        return await session.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>(bucket, decoded key) of a copy source, or null.</summary>
    internal (string Bucket, string Key)? ParseSource(string source)
    {
        source = source.Trim();
        var query = source.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            source = source[..query];
        }
        if (source.StartsWith('/'))
        {
            source = source[1..];
        }
        var slash = source.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return null;
        }
        var head = source[..slash];
        if (KeyDecoding.TryDecodePath(source.AsSpan(slash), out var decoded) != KeyStatus.Valid)
        {
            return null;
        }
        var key = decoded[1..];
        if (!head.Contains('.', StringComparison.Ordinal))
        {
            return (head, key);
        }
        // A host: a gateway bucket's virtual host, or COS's <bucket>.cos.<region>.myqcloud.com.
        if (buckets.Resolve(head.Split(':')[0], "/", out _, out var pathStyle) is { } byHost && !pathStyle)
        {
            return (byHost.Name, key);
        }
        var cos = head.IndexOf(".cos.", StringComparison.Ordinal);
        return cos > 0 ? (head[..cos], key) : null;
    }

    /// <summary>
    /// DELETE of an object: 204, also when the key has none — unless <c>If-Match</c> names the object to delete (S3's
    /// conditional delete): then only that object is removed, and another one (or none) is 412 (404) with nothing removed.
    /// </summary>
    public static async Task DeleteAsync(DataRequest request)
    {
        var ifMatch = request.Context.Request.Headers.IfMatch.ToString().Trim();
        try
        {
            await request.Bucket.Store.DeleteAsync(request.Key, request.Context.RequestAborted, ifMatch.Length > 0 ? new WriteCondition(false, ifMatch) : null).ConfigureAwait(false);
        }
        catch (WriteConditionFailedException e)
        {
            await WriteConditions.AnswerAsync(request, e.Status).ConfigureAwait(false);
            return;
        }
        request.Context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    [LoggerMessage(EventId = LogEvents.IncompleteBody, Level = LogLevel.Information, Message = "PUT into bucket {Bucket} key#{KeyHash} ended without a whole body; nothing stored")]
    private static partial void LogIncompleteBody(ILogger logger, string bucket, string keyHash, Exception exception);

    [LoggerMessage(EventId = LogEvents.ObjectStoreFailed, Level = LogLevel.Warning, Message = "PUT into bucket {Bucket} key#{KeyHash} failed on the store; nothing stored, answered 503")]
    private static partial void LogStoreFailed(ILogger logger, string bucket, string keyHash, Exception exception);
}
