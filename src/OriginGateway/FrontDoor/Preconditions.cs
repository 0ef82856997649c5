using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

internal enum PreconditionOutcome
{
    Proceed,
    NotModified,
    Failed,
}

/// <summary>
/// The conditional-request state machine of RFC 9110 §13.2.2 for object reads: If-Match, then
/// If-Unmodified-Since, then If-None-Match, then If-Modified-Since. If-Range is judged here too.
/// </summary>
internal static class Preconditions
{
    public static PreconditionOutcome Evaluate(IHeaderDictionary headers, ObjectEntry entry, bool isGetOrHead)
    {
        var ifMatch = headers.IfMatch;
        if (ifMatch.Count > 0)
        {
            if (!AnyMatches(ifMatch, entry.ETag, weak: false))
            {
                return PreconditionOutcome.Failed;
            }
        }
        else if (TryDate(headers.IfUnmodifiedSince, out var unmodifiedSince) && entry.LastModified > unmodifiedSince)
        {
            return PreconditionOutcome.Failed;
        }

        var ifNoneMatch = headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0)
        {
            if (AnyMatches(ifNoneMatch, entry.ETag, weak: true))
            {
                return isGetOrHead ? PreconditionOutcome.NotModified : PreconditionOutcome.Failed;
            }
        }
        else if (isGetOrHead && TryDate(headers.IfModifiedSince, out var modifiedSince) && entry.LastModified <= modifiedSince)
        {
            return PreconditionOutcome.NotModified;
        }
        return PreconditionOutcome.Proceed;
    }

    /// <summary>Whether a Range may be honoured: no If-Range, or one that names the current object.</summary>
    public static bool RangeApplies(IHeaderDictionary headers, ObjectEntry entry)
    {
        var ifRange = headers.IfRange;
        if (ifRange.Count == 0)
        {
            return true;
        }
        var value = ifRange.ToString().Trim();
        if (value.StartsWith('"') || value.StartsWith("W/", StringComparison.Ordinal))
        {
            return string.Equals(value, entry.ETag, StringComparison.Ordinal);
        }
        return TryDate(ifRange, out var date) && date == entry.LastModified;
    }

    private static bool AnyMatches(StringValues values, string etag, bool weak)
    {
        foreach (var value in values)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                var tag = value.AsSpan(range).Trim();
                if (tag.SequenceEqual("*"))
                {
                    return true;
                }
                if (tag.StartsWith("W/"))
                {
                    if (!weak)
                    {
                        continue;
                    }
                    tag = tag[2..];
                }
                if (tag.SequenceEqual(etag))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool TryDate(StringValues value, out DateTimeOffset date)
    {
        date = default;
        return value.Count == 1 && DateTimeOffset.TryParseExact(value[0], "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date);
    }
}
