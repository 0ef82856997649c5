using System.Globalization;
using System.Net.Http.Headers;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.Origins;

/// <summary>
/// What a pulled object keeps from its origin response, and which responses can never be stored
/// whole (<c>03-security.md</c> §3.3). One place, used by every fill, tee and task.
/// </summary>
internal static class OriginResponseRules
{
    private static readonly string[] KeptHeaders = ["Cache-Control", "Content-Disposition", "Content-Encoding", "Expires", "Content-Language"];
    private static readonly string[] MetaPrefixes = ["x-cos-meta-", "x-amz-meta-", "x-oss-meta-"];

    /// <summary>
    /// Removes the origin's headers a client could not be sent (a control character in a value), so that the rest of the
    /// answer passes through: one bad header of an origin must not fail the whole response.
    /// </summary>
    public static void DropUnsendableHeaders(HttpResponseMessage response)
    {
        Drop(response.Headers);
        Drop(response.Content.Headers);

        static void Drop(HttpHeaders headers)
        {
            List<string>? unsendable = null;
            foreach (var (name, values) in headers.NonValidated)
            {
                foreach (var value in values)
                {
                    if (!HeaderValues.IsSendable(value))
                    {
                        (unsendable ??= []).Add(name);
                        break;
                    }
                }
            }
            foreach (var name in unsendable ?? [])
            {
                headers.Remove(name);
            }
        }
    }

    /// <summary>A reason the response cannot be committed, known from its headers alone; null when it may be.</summary>
    public static string? RefuseByHeaders(HttpResponseMessage response, bool rangeRequested)
    {
        if (response.StatusCode == System.Net.HttpStatusCode.PartialContent && !rangeRequested)
        {
            return OriginFailure.UnexpectedPartialContent;
        }
        var lengths = response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var values)
            ? values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal).Count()
            : 0;
        if (lengths > 1)
        {
            return OriginFailure.ConflictingContentLength;
        }
        if (lengths > 0 && response.Headers.TransferEncodingChunked == true)
        {
            return OriginFailure.ContentLengthWithTransferEncoding;
        }
        return null;
    }

    /// <summary>
    /// Whether the end of the body can be told from a cut: delimited by Content-Length or chunked framing
    /// (HTTP/2 and later frame every body), or checked against an MD5. A body that simply ends when the
    /// connection closes cannot be, and is served but not stored.
    /// </summary>
    public static bool EndIsVerifiable(HttpResponseMessage response, byte[]? expectedMd5) =>
        response.Version.Major >= 2 || response.Headers.TransferEncodingChunked == true
        || response.Content.Headers.ContentLength is not null || expectedMd5 is not null;

    /// <summary>The body length the origin declared, if any.</summary>
    public static long? DeclaredLength(HttpResponseMessage response) =>
        response.Headers.TransferEncodingChunked == true ? null : response.Content.Headers.ContentLength;

    /// <summary>The origin's Content-MD5 (base64) when it sent a well-formed one.</summary>
    public static byte[]? DeclaredMd5(HttpResponseMessage response)
    {
        if (!response.Content.Headers.NonValidated.TryGetValues("Content-MD5", out var values))
        {
            return null;
        }
        var md5 = new byte[16];
        return Convert.TryFromBase64String(values.ToString().Trim(), md5, out var written) && written == 16 ? md5 : null;
    }

    /// <summary>
    /// Headers stored with the object and sent to clients: the kept ones and every *-meta-* as x-cos-meta-*; a value no
    /// client could be sent (<see cref="HeaderValues.IsSendable"/>) is not kept — stored, it would fail every read of the object.
    /// </summary>
    public static List<KeyValuePair<string, string>> StoredHeaders(HttpResponseMessage response)
    {
        var stored = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            var lower = name.ToLowerInvariant();
            if (KeptHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                Keep(lower, values.ToString());
                continue;
            }
            foreach (var prefix in MetaPrefixes)
            {
                if (lower.StartsWith(prefix, StringComparison.Ordinal) && lower.Length > prefix.Length)
                {
                    Keep("x-cos-meta-" + lower[prefix.Length..], values.ToString());
                    break;
                }
            }
        }
        return stored;

        void Keep(string name, string value)
        {
            if (HeaderValues.IsSendable(value))
            {
                stored.Add(new(name, value));
            }
        }
    }

    public static string? ContentType(HttpResponseMessage response) =>
        response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var values) && values.ToString() is var value && HeaderValues.IsSendable(value) ? value : null;

    /// <summary>Gateway metadata for a pulled object: origin URL, origin ETag and Last-Modified, time of the pull.</summary>
    public static Dictionary<string, string> GatewayMetadata(HttpResponseMessage response, Uri url, DateTimeOffset pulledAt)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CompactMetadata.OriginUrl] = url.GetLeftPart(UriPartial.Path),
            [CompactMetadata.PulledAt] = pulledAt.ToString("O", CultureInfo.InvariantCulture),
        };
        // Sent back to the origin later (If-Match of a pinned range, If-None-Match of a sync pass): only a value that can be.
        if (response.Headers.NonValidated.TryGetValues("ETag", out var etag) && HeaderValues.IsSendable(etag.ToString()))
        {
            metadata[CompactMetadata.OriginETag] = etag.ToString();
        }
        if (response.Content.Headers.NonValidated.TryGetValues("Last-Modified", out var lastModified) && HeaderValues.IsSendable(lastModified.ToString()))
        {
            metadata[CompactMetadata.OriginLastModified] = lastModified.ToString();
        }
        return metadata;
    }

    /// <summary>The write description for committing a pulled body.</summary>
    public static ObjectWrite Write(HttpResponseMessage response, Uri url, DateTimeOffset pulledAt, long maxLength) => new(
        ContentType(response),
        StoredHeaders(response),
        DeclaredMd5(response),
        DeclaredLength(response),
        maxLength,
        GatewayMetadata(response, url, pulledAt));

    /// <summary>The COS reason a failed write gets.</summary>
    public static string Reason(ObjectWriteStatus status) => status switch
    {
        ObjectWriteStatus.DigestMismatch => OriginFailure.ChecksumMismatch,
        ObjectWriteStatus.LengthMismatch => OriginFailure.Truncated,
        ObjectWriteStatus.TooLarge => OriginFailure.TooLarge,
        ObjectWriteStatus.PreconditionFailed or ObjectWriteStatus.NoCurrentObject => OriginFailure.Superseded,
        _ => "None",
    };

    /// <summary>The first ETag of a response (for If-Match pinning).</summary>
    public static string? ETag(HttpResponseMessage response) => response.Headers.ETag is EntityTagHeaderValue tag ? tag.ToString() : null;

    /// <summary>
    /// The validator that lets a broken body be resumed with a Range request: the response's strong ETag, or null when it
    /// cannot be (no ETag or a weak one — a weak one does not promise the same bytes; the origin refuses ranges; or the
    /// response is itself a range). Without it the rest of a body could come from another version of the object.
    /// </summary>
    public static string? ResumeValidator(HttpResponseMessage response)
    {
        if (response.StatusCode != System.Net.HttpStatusCode.OK || response.Headers.ETag is not { IsWeak: false } tag)
        {
            return null;
        }
        foreach (var unit in response.Headers.AcceptRanges)
        {
            if (string.Equals(unit, "none", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }
        return tag.ToString();
    }

    /// <summary>
    /// Why <paramref name="resumed"/> is not exactly the rest of <paramref name="first"/>'s body from <paramref name="offset"/>,
    /// or null when it is (<see cref="NotARangeOf"/>, running to the end).
    /// </summary>
    public static string? NotAResumption(HttpResponseMessage resumed, HttpResponseMessage first, long offset) =>
        NotARangeOf(resumed, VersionPin.Of(first, ETag(first) ?? ""), offset, lastByte: null);

    /// <summary>
    /// Why <paramref name="answer"/> is not exactly bytes <paramref name="offset"/>–<paramref name="lastByte"/> (null: to the
    /// end) of the version <paramref name="pin"/> names, or null when it is: a 206 of that one byte range of the same length,
    /// carrying the same ETag (an origin that ignores If-Match answers another version's bytes with that version's ETag, and
    /// one without an ETag proves nothing) and the same Content-Encoding (a range is a range of the encoded body).
    /// </summary>
    public static string? NotARangeOf(HttpResponseMessage answer, VersionPin pin, long offset, long? lastByte)
    {
        if (answer.StatusCode != System.Net.HttpStatusCode.PartialContent)
        {
            return "the origin answered " + ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture) + " to the Range request";
        }
        if (answer.Content.Headers.ContentRange is not { Unit: "bytes", From: { } from, To: { } to, Length: { } total })
        {
            return "the 206 has no single byte range with a known length";
        }
        if (from != offset || to != (lastByte ?? total - 1) || (pin.Length is { } declared && total != declared))
        {
            var wanted = lastByte?.ToString(CultureInfo.InvariantCulture) ?? "";
            return $"the 206 covers bytes {from}-{to}/{total}, not {offset}-{wanted}/{pin.Length?.ToString(CultureInfo.InvariantCulture) ?? "*"}";
        }
        // A 206 carries the ETag a 200 would (RFC 9110 §15.3.7): without it nothing says which version these bytes are of.
        if (answer.Headers.ETag?.ToString() is not { } tag || tag != pin.ETag)
        {
            return "the 206 is of another version (ETag " + (answer.Headers.ETag?.ToString() ?? "none") + ")";
        }
        if (string.Join(',', answer.Content.Headers.ContentEncoding) != pin.ContentEncoding)
        {
            return "the 206 has another Content-Encoding";
        }
        return null;
    }
}

/// <summary>
/// What names one version of an origin's object, so that a range asked for separately is known to be of the same bytes: its
/// strong ETag (sent as If-Match), its length and its Content-Encoding.
/// </summary>
internal sealed record VersionPin(string ETag, long? Length, string ContentEncoding)
{
    /// <summary>The pin of a 200 answer, or null when it gives none (<see cref="OriginResponseRules.ResumeValidator"/>).</summary>
    public static VersionPin? Of(HttpResponseMessage response) =>
        OriginResponseRules.ResumeValidator(response) is { } etag ? Of(response, etag) : null;

    /// <summary>The version of <paramref name="response"/>'s body under <paramref name="etag"/>.</summary>
    public static VersionPin Of(HttpResponseMessage response, string etag) =>
        new(etag, OriginResponseRules.DeclaredLength(response), string.Join(',', response.Content.Headers.ContentEncoding));
}
