using System.Buffers;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// Browser form uploads (S3's and COS's POST Object): <c>POST</c> to the bucket with a <c>multipart/form-data</c> body
/// whose fields come first — <c>key</c> (<c>${filename}</c> is the file's name), the signature (S3's Version 4 or 2, or
/// COS's <c>q-*</c> fields) and its <c>policy</c>, the
/// object's <c>Content-Type</c>, <c>Cache-Control</c>, <c>Content-Disposition</c>, <c>Content-Encoding</c>,
/// <c>Expires</c>, <c>x-amz-meta-*</c>, <c>acl</c>, <c>tagging</c> (a Tagging document; or <c>x-amz-tagging</c> /
/// <c>x-cos-tagging</c> as <c>k1=v1&amp;k2=v2</c>), <c>x-amz-checksum-*</c> (verified as the file is read, and kept),
/// <c>success_action_status</c> or <c>success_action_redirect</c> —
/// and the <c>file</c> last; fields after it are ignored. The signature, the policy's conditions and the bucket's
/// access are checked before a byte of the file is read; the file is stored as a PUT's body is (streamed, within the
/// policy's <c>content-length-range</c> and <c>Limits:MaxPutSize</c>), and a file refused on the way leaves nothing.
/// </summary>
internal sealed class FormUploadHandler(S3Authenticator s3, CosAuthenticator cos, ObjectWriteHandler writes, LimitsOptions limits, TimeProvider time)
{
    /// <summary>The most the fields before the file may hold together.</summary>
    public const int MaxFieldBytes = 64 * 1024;

    /// <summary>Form fields that become the stored object's headers (with <c>x-amz-meta-*</c> and <c>x-cos-meta-*</c>).</summary>
    private static readonly string[] HeaderFields = ["content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires"];

    /// <summary>Whether a bucket request is a form upload: a POST with a multipart/form-data body.</summary>
    public static bool IsFormUpload(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.ContentType is { } type && type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    public async Task HandleAsync(DataRequest request)
    {
        var context = request.Context;
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            await request.ErrorAsync(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data: it names no boundary.").ConfigureAwait(false);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // The fields, the file and the framing around them.
            sizeFeature.MaxRequestBodySize = limits.MaxPutSize + MaxFieldBytes + 64 * 1024;
        }

        var reader = new MultipartReader(boundary, context.Request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var fieldBytes = 0;
        MultipartSection? file = null;
        string? fileName = null;
        try
        {
            while (await reader.ReadNextSectionAsync(context.RequestAborted).ConfigureAwait(false) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                if (disposition is null || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                    || HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { Length: > 0 } name)
                {
                    await request.ErrorAsync(400, "MalformedPOSTRequest", "Every part of a form upload needs a Content-Disposition of form-data with a name.").ConfigureAwait(false);
                    return;
                }
                name = name.ToLowerInvariant();
                if (name == "file")
                {
                    file = section;
                    fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value is { Length: > 0 } star ? star : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                    break;
                }
                var value = await ReadFieldAsync(section.Body, MaxFieldBytes - fieldBytes, context.RequestAborted).ConfigureAwait(false);
                if (value is null)
                {
                    await request.ErrorAsync(400, "MaxPostPreDataLengthExceeded", $"Your POST request fields preceding the upload file were too large (more than {MaxFieldBytes} bytes).").ConfigureAwait(false);
                    return;
                }
                fieldBytes += Encoding.UTF8.GetByteCount(value) + name.Length;
                fields.TryAdd(name, value);
            }
        }
        catch (InvalidDataException e)
        {
            await request.ErrorAsync(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data: " + e.Message).ConfigureAwait(false);
            return;
        }
        if (file is null)
        {
            await request.ErrorAsync(400, "InvalidArgument", "POST requires exactly one file upload per request: a field named file, after the others.").ConfigureAwait(false);
            return;
        }

        // A form signed COS's way is answered in COS's dialect, any other in S3's.
        var cosForm = CosAuthenticator.SignsForm(fields);
        if (!cosForm)
        {
            S3Dialect.AnswerInS3(context.Response);
        }

        // The fields that describe the object, read as a PUT's headers are (x-amz-* spelled as the gateway keeps them).
        var headers = new HeaderDictionary();
        foreach (var (name, value) in fields)
        {
            if (Array.IndexOf(HeaderFields, name) >= 0 || (name.StartsWith("x-amz-", StringComparison.Ordinal) && name is not ("x-amz-signature" or "x-amz-credential" or "x-amz-algorithm" or "x-amz-date"))
                || name.StartsWith("x-cos-", StringComparison.Ordinal))
            {
                headers[name] = value;
            }
        }
        if (fields.GetValueOrDefault("acl") is { } acl)
        {
            // COS's canned ACLs (default, private, public-read) are its own header's; S3's are read as x-amz-acl.
            headers[cosForm ? "x-cos-acl" : "x-amz-acl"] = acl;
        }
        // Encryption or a retention asked for is refused before anything else, as a PUT asking for it is.
        if (UnkeptPromises.WriteRefusal(headers) is var (unkeptStatus, unkeptCode, unkeptMessage))
        {
            await request.ErrorAsync(unkeptStatus, unkeptCode, unkeptMessage).ConfigureAwait(false);
            return;
        }

        var auth = cosForm ? cos.AuthenticateForm(fields) : s3.AuthenticateForm(fields);
        if (auth.Failed)
        {
            await CosError.WriteAsync(context, auth.Status, auth.ErrorCode!, auth.Message!, request.RawPath, auth.Details).ConfigureAwait(false);
            return;
        }
        PostPolicy? policy = null;
        if (!auth.IsAnonymous)
        {
            if ((policy = PostPolicy.Parse(fields["policy"], out var policyError)) is null)
            {
                await request.ErrorAsync(400, "InvalidPolicyDocument", "Invalid Policy: " + policyError).ConfigureAwait(false);
                return;
            }
            if (policy.Check(fields, request.Bucket.Name, time.GetUtcNow()) is { } unmet)
            {
                await request.ErrorAsync(403, "AccessDenied", unmet).ConfigureAwait(false);
                return;
            }
        }
        var bucket = request.Bucket;
        if (BucketAccess.Check(auth, bucket.Name, bucket.PublicRead, bucket.PublicList, BucketOperation.Write) is { } refusal)
        {
            await request.ErrorAsync(403, "AccessDenied", refusal).ConfigureAwait(false);
            return;
        }

        if (fields.GetValueOrDefault("key") is not { Length: > 0 } keyField)
        {
            await request.ErrorAsync(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.").ConfigureAwait(false);
            return;
        }
        // Browsers send the file's own name; some send a path (old Internet Explorer): its last segment is the name.
        var baseName = fileName is null ? "" : fileName[(fileName.LastIndexOfAny(['/', '\\']) + 1)..];
        var key = keyField.Replace("${filename}", baseName, StringComparison.Ordinal);
        if (KeyDecoding.Check(key) is var keyStatus && keyStatus != KeyStatus.Valid)
        {
            await (keyStatus == KeyStatus.TooLong
                ? request.ErrorAsync(400, "KeyTooLong", KeyDecoding.TooLongMessage)
                : request.ErrorAsync(400, "InvalidArgument", "The key is not valid: invalid UTF-8 or a control character.")).ConfigureAwait(false);
            return;
        }

        var upload = new DataRequest(context, bucket, key, request.RawPath, request.RawQuery, request.Query, auth);
        if (!cosForm && S3Dialect.ReadRequest(headers) is { } unreadable)
        {
            await upload.ErrorAsync(400, "InvalidArgument", unreadable).ConfigureAwait(false);
            return;
        }
        // The ACL and tags as a PUT's headers give them; S3's tagging field (a Tagging document) takes the place of x-amz-tagging / x-cos-tagging.
        IReadOnlyList<KeyValuePair<string, string>>? documentTags = null;
        if (fields.GetValueOrDefault("tagging") is { Length: > 0 } document
            && (documentTags = ObjectTagging.FromXml(Encoding.UTF8.GetBytes(document), out var tagCode, out var tagError)) is null)
        {
            await upload.ErrorAsync(400, tagCode!, tagError!).ConfigureAwait(false);
            return;
        }
        if (ObjectWriteHandler.RequestAttributes(headers, bucket, inheritedTags: null, out var attributesCode, out var attributesError, documentTags) is not { } attributes)
        {
            await upload.ErrorAsync(400, attributesCode!, attributesError!).ConfigureAwait(false);
            return;
        }
        // Checksums sent as x-amz-checksum-* fields are verified as the file is read, as a PUT's headers are, and kept.
        var checksums = ContentChecksum.SentWith(headers);
        if (checksums.Find(c => !ContentChecksum.IsWellFormed(c.Algorithm, c.Value)) is { Value: not null } malformed)
        {
            await upload.ErrorAsync(400, "InvalidRequest", $"Value for {ContentChecksum.HeaderOf(malformed.Algorithm)} field is invalid.").ConfigureAwait(false);
            return;
        }
        var stored = ObjectWriteHandler.StoredHeadersOf(headers);
        if (ObjectWriteHandler.RefuseStoredHeaders(fields.GetValueOrDefault("content-type"), stored) is var (headerCode, headerError))
        {
            await upload.ErrorAsync(400, headerCode, headerError).ConfigureAwait(false);
            return;
        }
        stored.AddRange(checksums.Select(c => new KeyValuePair<string, string>(ContentChecksum.HeaderOf(c.Algorithm), c.Value)));
        var maxLength = Math.Min(limits.MaxPutSize, policy?.MaxLength ?? long.MaxValue);
        var write = new ObjectWrite(ContentTypes.For(fields.GetValueOrDefault("content-type"), key), stored, null, null, maxLength,
            Durable: true, Attributes: attributes);
        Stream body = policy is { MinLength: > 0 } ? new AtLeastStream(file.Body, policy.MinLength) : file.Body;
        if (checksums.Count > 0)
        {
            body = new CheckedBodyStream(body, [.. checksums.Select(c => BodyCheck.Checksum(c.Algorithm, c.Value))]);
        }
        if (await writes.StoreAsync(upload, bucket.Store, key, body, write).ConfigureAwait(false) is not { } entry)
        {
            return;
        }
        await AnswerAsync(upload, fields, entry).ConfigureAwait(false);
    }

    /// <summary>A field's text, or null when it is longer than <paramref name="room"/> bytes.</summary>
    private static async Task<string?> ReadFieldAsync(Stream body, int room, CancellationToken cancellationToken)
    {
        var limit = Math.Max(0, room) + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit, 4096));
        try
        {
            var length = 0;
            int read;
            while (length < limit && (read = await body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit) - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length == buffer.Length && length < limit)
                {
                    // A long field: a larger buffer, up to the room left.
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, buffer.Length * 4));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
            return length > room ? null : Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// S3's answers to a stored form upload: a 303 to <c>success_action_redirect</c> (or the older <c>redirect</c>) with
    /// the bucket, key and ETag in its query; else <c>success_action_status</c> — 204 (the default) or 200 empty, 201
    /// with a <c>PostResponse</c> document. The ETag and the object's URL are in the headers of each.
    /// </summary>
    private static Task AnswerAsync(DataRequest upload, Dictionary<string, string> fields, ObjectEntry entry)
    {
        var context = upload.Context;
        var response = context.Response;
        var location = $"{context.Request.Scheme}://{context.Request.Host}{upload.RawPath.TrimEnd('/')}/{S3Signature.UriEncode(upload.Key, encodeSlash: false)}";
        response.Headers.ETag = entry.ETag;
        response.Headers.Location = location;
        if ((fields.GetValueOrDefault("success_action_redirect") ?? fields.GetValueOrDefault("redirect")) is { Length: > 0 } redirect
            && Uri.TryCreate(redirect, UriKind.Absolute, out var target) && target.Scheme is "http" or "https")
        {
            var query = $"bucket={Uri.EscapeDataString(upload.Bucket.Name)}&key={Uri.EscapeDataString(upload.Key)}&etag={Uri.EscapeDataString(entry.ETag)}";
            response.StatusCode = StatusCodes.Status303SeeOther;
            response.Headers.Location = redirect + (target.Query.Length > 1 ? "&" : target.Query.Length == 1 ? "" : "?") + query;
            response.ContentLength = 0;
            return Task.CompletedTask;
        }
        switch (fields.GetValueOrDefault("success_action_status"))
        {
            case "201":
                return XmlAnswer.WriteAsync(upload, new XElement("PostResponse",
                    new XElement("Location", location),
                    new XElement("Bucket", upload.Bucket.Name),
                    new XElement("Key", upload.Key),
                    new XElement("ETag", entry.ETag)), StatusCodes.Status201Created);
            case "200":
                response.StatusCode = StatusCodes.Status200OK;
                break;
            default:
                response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>The file of a form upload, refused at its end when it is smaller than the policy's range allows.</summary>
    private sealed class AtLeastStream(Stream inner, long minimum) : ForwardReadStream
    {
        private long _read;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _read += read;
            if (read == 0 && buffer.Length > 0 && _read < minimum)
            {
                throw new BodyRejectedException(400, "EntityTooSmall", $"Your proposed upload is smaller than the minimum allowed size ({minimum} bytes).");
            }
            return read;
        }
    }
}
