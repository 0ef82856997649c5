using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace OriginGateway.Protocol;

internal enum RangeKind
{
    /// <summary>No usable Range header (absent, malformed, or several ranges): the whole body with 200.</summary>
    Whole,
    Single,
    Unsatisfiable,
}

/// <summary>The <c>Range</c> header of a GET, resolved against an object's length.</summary>
internal readonly record struct ByteRange(RangeKind Kind, long Start, long Length)
{
    public static ByteRange Whole(long length) => new(RangeKind.Whole, 0, length);

    /// <summary>
    /// The one way a range is answered, for hits and fills alike: a single range sets 206 and its
    /// <c>Content-Range</c> (then true); an unsatisfiable one answers 416 <c>InvalidRange</c> with
    /// <c>Content-Range: bytes */length</c> (then false: the answer is written); the whole body changes nothing.
    /// </summary>
    public bool Answer(HttpContext context, long length, string resource, out Task unsatisfiable)
    {
        var response = context.Response;
        unsatisfiable = Task.CompletedTask;
        switch (Kind)
        {
            case RangeKind.Single:
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {Start}-{Start + Length - 1}/{length}");
                return true;
            case RangeKind.Unsatisfiable:
                response.Headers.ContentRange = "bytes */" + length.ToString(CultureInfo.InvariantCulture);
                unsatisfiable = CosError.WriteAsync(context, StatusCodes.Status416RangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable.", resource);
                return false;
            default:
                return true;
        }
    }

    public static ByteRange Parse(StringValues header, long length)
    {
        if (header.Count != 1)
        {
            return Whole(length);
        }
        var value = header[0].AsSpan().Trim();
        if (!value.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return Whole(length);
        }
        var spec = value[6..].Trim();
        if (spec.Contains(','))
        {
            // Several ranges: answered with the whole body (01-data-plane.md §1.2).
            return Whole(length);
        }
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return Whole(length);
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.IsEmpty)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return Whole(length);
            }
            if (suffix == 0 || length == 0)
            {
                return new(RangeKind.Unsatisfiable, 0, 0);
            }
            var take = Math.Min(suffix, length);
            return new(RangeKind.Single, length - take, take);
        }
        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return Whole(length);
        }
        long end;
        if (last.IsEmpty)
        {
            end = length - 1;
        }
        else if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
        {
            return Whole(length);
        }
        if (start >= length)
        {
            return new(RangeKind.Unsatisfiable, 0, 0);
        }
        end = Math.Min(end, length - 1);
        return new(RangeKind.Single, start, end - start + 1);
    }
}
