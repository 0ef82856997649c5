using System.Globalization;
using Microsoft.AspNetCore.Http;
using OriginGateway.Dependencies;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// GET and HEAD of an object from the store: preconditions, range, headers, body. The hit path:
/// one in-memory lookup, one open, positional reads straight into the response pipe.
/// </summary>
internal static class ObjectReadHandler
{
    /// <summary>How a GET/HEAD was served (<c>01-data-plane.md</c> §1.5).</summary>
    public const string ActionHeader = "x-origin-action";

    private const int ChunkSize = 64 * 1024;

    /// <param name="request">The request.</param>
    /// <param name="origin">Where misses go (null: answer the bucket's own 404 / 500).</param>
    /// <param name="action">The x-origin-action of a response served from the store: hit, or the action whose fill stored it.</param>
    /// <param name="access">Who reads: the bucket's owner (the default), or someone whom the bucket and the object's ACL decide for.</param>
    public static async Task HandleAsync(DataRequest request, IObjectMissHandler? origin, string action = "hit", ReadAccess access = default)
    {
        var context = request.Context;
        if (request.Query is { } overrides && ResponseOverrides.Check(overrides, request.Auth.IsAnonymous) is { } refused)
        {
            await request.ErrorAsync(400, refused.Code, refused.Message).ConfigureAwait(false);
            return;
        }
        var store = request.Bucket.Store;
        var isHead = HttpMethods.IsHead(context.Request.Method);
        int bucketStatus;
        try
        {
            // Two tries: a commit may replace the object between lookup and open.
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var entry = await store.FindAsync(request.Key, context.RequestAborted).ConfigureAwait(false);
                if (entry is null)
                {
                    break;
                }
                if (!access.Owner && !ObjectAcl.AllowsAnonymousRead(entry.Attributes, access.Refusal is null))
                {
                    await RefusedAsync(request, origin, ObjectAcl.OverridesBucket(entry.Attributes) ? "Access denied: the object's ACL does not allow this read." : access.Refusal!).ConfigureAwait(false);
                    return;
                }
                if (await ServeAsync(request, store, entry, isHead, action).ConfigureAwait(false))
                {
                    return;
                }
            }
            bucketStatus = 404;
            if (access.Refusal is { } refusal)
            {
                // Nothing stored that the caller may read: the bucket's refusal stands.
                await RefusedAsync(request, origin, refusal).ConfigureAwait(false);
                return;
            }
        }
        catch (Exception e) when (DependencyFailure.Of(e) == DependencyFailure.Store && !context.Response.HasStarted)
        {
            bucketStatus = 500;
        }

        // What a miss serves from an origin is one part, the whole object: a later part of it is not pulled.
        if (origin is not null && request.PartNumber is not > 1 && await origin.TryHandleAsync(request, bucketStatus).ConfigureAwait(false))
        {
            return;
        }
        context.Response.Headers[ActionHeader] = "miss";
        await (bucketStatus == 404
            ? request.ErrorAsync(404, "NoSuchKey", "The specified key does not exist.")
            : CosError.ServiceUnavailableAsync(context, DependencyFailure.Message(DependencyFailure.Store), request.RawPath)).ConfigureAwait(false);
    }

    /// <summary>A read the caller may not make is a 403 — unless a Redirect rule takes 403s.</summary>
    public static async Task RefusedAsync(DataRequest request, IObjectMissHandler? origin, string message)
    {
        if (origin is null || !await origin.TryHandleAsync(request, 403).ConfigureAwait(false))
        {
            request.Context.Response.Headers[ActionHeader] = "miss";
            await request.ErrorAsync(403, "AccessDenied", message).ConfigureAwait(false);
        }
    }

    /// <summary>Answers from the entry; false when its body vanished before it could be opened (nothing was sent).</summary>
    private static async Task<bool> ServeAsync(DataRequest request, IObjectStore store, ObjectEntry entry, bool isHead, string action)
    {
        var context = request.Context;
        var response = context.Response;
        var headers = response.Headers;
        headers[ActionHeader] = action;
        headers.ETag = entry.ETag;
        headers.LastModified = entry.LastModifiedHeader;

        var requestHeaders = context.Request.Headers;
        switch (Preconditions.Evaluate(requestHeaders, entry, isGetOrHead: true))
        {
            case PreconditionOutcome.NotModified:
                CopyStoredHeaders(headers, entry, cachingOnly: true);
                response.StatusCode = StatusCodes.Status304NotModified;
                return true;
            case PreconditionOutcome.Failed:
                await request.ErrorAsync(412, "PreconditionFailed", "At least one of the preconditions you specified did not hold.").ConfigureAwait(false);
                return true;
        }

        headers.AcceptRanges = "bytes";
        ByteRange range;
        if (request.PartNumber is { } partNumber)
        {
            if (ObjectParts.Locate(entry, partNumber) is not var (partStart, partLength, parts))
            {
                await request.ErrorAsync(416, "InvalidPartNumber", "The requested partnumber is not satisfiable.").ConfigureAwait(false);
                return true;
            }
            // A part is answered as the range it is (206 with its Content-Range), with the count of parts when there are
            // several; an empty one (an empty object, an empty last part) as an empty 200.
            range = new ByteRange(partLength == 0 ? RangeKind.Whole : RangeKind.Single, partStart, partLength);
            if (parts > 1)
            {
                headers["x-cos-mp-parts-count"] = parts.ToString(CultureInfo.InvariantCulture);
            }
        }
        else
        {
            range = requestHeaders.Range.Count > 0 && Preconditions.RangeApplies(requestHeaders, entry)
                ? ByteRange.Parse(requestHeaders.Range, entry.Length)
                : ByteRange.Whole(entry.Length);
        }
        if (range.Kind == RangeKind.Unsatisfiable)
        {
            range.Answer(context, entry.Length, request.RawPath, out var unsatisfiable);
            await unsatisfiable.ConfigureAwait(false);
            return true;
        }

        ObjectReader? reader = null;
        if (!isHead && range.Length > 0)
        {
            reader = await store.OpenAsync(entry, range.Start, range.Length, context.RequestAborted).ConfigureAwait(false);
            if (reader is null)
            {
                headers.Remove(ActionHeader);
                headers.Remove("ETag");
                headers.Remove("Last-Modified");
                headers.Remove("Accept-Ranges");
                return false;
            }
        }
        using var held = reader;
        CopyStoredHeaders(headers, entry, cachingOnly: false, requestHeaders, whole: range.Length == entry.Length);
        headers.ContentType = entry.ContentType;
        if (entry.Attributes.Tags.Count > 0)
        {
            headers["x-cos-tagging-count"] = entry.Attributes.Tags.Count.ToString(CultureInfo.InvariantCulture);
        }
        if (request.Query is { } query)
        {
            ResponseOverrides.Apply(headers, query);
        }
        range.Answer(context, entry.Length, request.RawPath, out _);
        response.ContentLength = range.Length;
        if (reader is not null)
        {
            await BodyPump.CopyAsync(context, new StoredBody(reader), range.Start, range.Start + range.Length, ChunkSize).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>A stored object as a body source: it reads what the store holds; ending early is the pump's to cut.</summary>
    private readonly struct StoredBody(ObjectReader reader) : IBodySource
    {
        public ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken) =>
            reader.ReadAsync(buffer, position, cancellationToken);
    }

    /// <summary>
    /// The stored headers an answer carries: all of them, or only the caching ones for a 304. A kept S3
    /// checksum is the whole object's: sent only with the whole object, and only when the request asks
    /// for it (<c>x-amz-checksum-mode: ENABLED</c>, looked at only when the object keeps one).
    /// </summary>
    private static void CopyStoredHeaders(IHeaderDictionary headers, ObjectEntry entry, bool cachingOnly, IHeaderDictionary? requestHeaders = null, bool whole = false)
    {
        bool? checksums = null;
        foreach (var (name, value) in entry.Headers)
        {
            if (cachingOnly ? name is not ("cache-control" or "expires") : name.StartsWith("x-amz-checksum-", StringComparison.Ordinal)
                && !(checksums ??= whole && requestHeaders is not null
                    && requestHeaders["x-amz-checksum-mode"].ToString().Equals("ENABLED", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            headers[name] = value;
        }
    }
}

/// <summary>
/// Who reads an object: the bucket's owner (a credential that may use the bucket: <see cref="Owner"/>), or
/// anyone else, whom the bucket refuses (<see cref="Refusal"/>, its 403 message) or lets read, and whom
/// the object's ACL may open or close the object to.
/// </summary>
internal readonly record struct ReadAccess(bool NotOwner, string? Refusal)
{
    public bool Owner => !NotOwner;

    public static ReadAccess Anyone(string? bucketRefusal) => new(true, bucketRefusal);
}
