using Microsoft.AspNetCore.Http;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// Conditional writes (PUT, copy, multipart completion): S3's <c>If-None-Match: *</c> — create, never replace —
/// and <c>If-Match: &lt;ETag&gt;</c> — replace exactly that object —, and COS's <c>x-cos-forbid-overwrite: true</c>
/// (the first, spelled COS's way). A failed condition is 412 <c>PreconditionFailed</c> (404 <c>NoSuchKey</c> for an
/// <c>If-Match</c> on a key without an object) and stores nothing; it is checked before the body is read and again
/// when the write commits, where two writers racing for one key cannot both pass.
/// </summary>
internal static class WriteConditions
{
    /// <summary>
    /// The condition the request's headers set (null: none), once it holds for the key's current object — checked
    /// before anything is read or written (the store checks it again when the write commits). False once a header the
    /// gateway cannot honour (an <c>If-None-Match</c> other than <c>*</c>, a bad <c>x-cos-forbid-overwrite</c>) or a
    /// failed condition has been answered.
    /// </summary>
    public static ValueTask<(bool Proceed, WriteCondition? Condition)> CheckAsync(DataRequest request)
    {
        var headers = request.Context.Request.Headers;
        // Most writes are unconditional: nothing to look up.
        return headers.IfNoneMatch.Count == 0 && headers.IfMatch.Count == 0 && !headers.ContainsKey("x-cos-forbid-overwrite")
            ? ValueTask.FromResult<(bool, WriteCondition?)>((true, null))
            : CheckConditionalAsync(request);
    }

    private static async ValueTask<(bool Proceed, WriteCondition? Condition)> CheckConditionalAsync(DataRequest request)
    {
        if (await ReadAsync(request).ConfigureAwait(false) is not (true, var condition))
        {
            return (false, null);
        }
        if (condition is null)
        {
            return (true, null);
        }
        var current = await request.Bucket.Store.FindAsync(request.Key, request.Context.RequestAborted).ConfigureAwait(false);
        if (condition.Check(current) is { } failed)
        {
            await AnswerAsync(request, failed).ConfigureAwait(false);
            return (false, null);
        }
        return (true, condition);
    }

    /// <summary>The condition the headers set (null: none); false once a header the gateway cannot honour has been answered.</summary>
    private static async Task<(bool Ok, WriteCondition? Condition)> ReadAsync(DataRequest request)
    {
        var headers = request.Context.Request.Headers;
        var mustNotExist = false;
        if (headers.IfNoneMatch.ToString().Trim() is { Length: > 0 } ifNoneMatch)
        {
            if (ifNoneMatch != "*")
            {
                await request.ErrorAsync(501, "NotImplemented", "If-None-Match on a write supports only * (create the object only if the key has none).").ConfigureAwait(false);
                return (false, null);
            }
            mustNotExist = true;
        }
        switch (headers["x-cos-forbid-overwrite"].ToString().Trim().ToLowerInvariant())
        {
            case "":
            case "false":
                break;
            case "true":
                mustNotExist = true;
                break;
            default:
                await request.ErrorAsync(400, "InvalidArgument", "x-cos-forbid-overwrite must be true or false.").ConfigureAwait(false);
                return (false, null);
        }
        var ifMatch = headers.IfMatch.ToString().Trim();
        return (true, mustNotExist || ifMatch.Length > 0 ? new WriteCondition(mustNotExist, ifMatch.Length > 0 ? ifMatch : null) : null);
    }

    /// <summary>Answers a write whose condition failed: nothing was stored.</summary>
    public static Task AnswerAsync(DataRequest request, ObjectWriteStatus failed) => failed == ObjectWriteStatus.NoCurrentObject
        ? request.ErrorAsync(404, "NoSuchKey", "If-Match names an object, and the key has none; nothing was stored.")
        : request.ErrorAsync(412, "PreconditionFailed", "At least one of the preconditions you specified did not hold (If-None-Match, If-Match or x-cos-forbid-overwrite); nothing was stored.");

    /// <summary>Whether a write result is a failed condition.</summary>
    public static bool IsConditionFailure(ObjectWriteStatus status) => status is ObjectWriteStatus.PreconditionFailed or ObjectWriteStatus.NoCurrentObject;
}
