using Microsoft.AspNetCore.Http;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// S3's spelling of the object headers COS spells <c>x-cos-*</c>. The gateway keeps one set (the object's
/// metadata, ACL, tags, copy directives): an S3 request's <c>x-amz-*</c> headers are read as their
/// <c>x-cos-*</c> twins, and an S3 caller's answer spells every <c>x-cos-*</c> header <c>x-amz-*</c> —
/// so metadata written by either dialect is read back by both.
/// </summary>
internal static class S3Dialect
{
    private const string AmzPrefix = "x-amz-";
    private const string CosPrefix = "x-cos-";

    /// <summary>The request headers that have a COS twin (a name ending in '-' is a prefix).</summary>
    private static readonly string[] Twins =
    [
        "meta-", "grant-", "tagging", "tagging-directive", "metadata-directive",
        "copy-source", "copy-source-range", "copy-source-if-match", "copy-source-if-none-match",
        "copy-source-if-modified-since", "copy-source-if-unmodified-since",
    ];

    /// <summary>The presigned URL parameters that are its signature or frame its body, never headers to apply.</summary>
    private static readonly string[] NotHoisted =
    [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-signature",
        "x-amz-security-token", "x-amz-content-sha256", "x-amz-trailer", "x-amz-decoded-content-length", "x-amz-sdk-checksum-algorithm",
    ];

    /// <summary>
    /// Applies a presigned URL's <c>x-amz-*</c> parameters as the headers they stand for, as S3 does: presigners move the
    /// headers of the request they sign into the URL (the AWS SDK for JavaScript its <c>x-amz-meta-*</c>, <c>x-amz-acl</c>,
    /// <c>x-amz-tagging</c>; botocore's and boto's Version 2 presigners every <c>x-amz-*</c> one), signed with it, so that
    /// whoever holds the URL needs to send none of them. The parameter wins over a header of the same name (Version 2
    /// signs the parameter in its place). Not applied: the signature's own parameters, those that frame the body, and <c>x-amz-checksum-*</c> — the
    /// JavaScript SDK signs the checksum of an empty body into every presigned PUT it makes, and S3 ignores it there.
    /// </summary>
    public static void ReadPresignedParameters(IReadOnlyList<KeyValuePair<string, string>>? query, IHeaderDictionary headers)
    {
        foreach (var (name, value) in query ?? [])
        {
            if (name.StartsWith(AmzPrefix, StringComparison.OrdinalIgnoreCase)
                && !name.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase)
                && !Array.Exists(NotHoisted, n => n.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                headers[name.ToLowerInvariant()] = value;
            }
        }
    }

    /// <summary>
    /// Reads an S3 request's headers as COS ones: each <c>x-amz-*</c> header with a COS twin is added under the
    /// twin's name (one the request also sent under that name wins), and <c>x-amz-acl</c> becomes the ACL COS has
    /// for it. Null, or the message of a 400 for an ACL the gateway has no equivalent of.
    /// </summary>
    public static string? ReadRequest(IHeaderDictionary headers)
    {
        List<KeyValuePair<string, string>>? twins = null;
        foreach (var (name, value) in headers)
        {
            if (!name.StartsWith(AmzPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var rest = name[AmzPrefix.Length..].ToLowerInvariant();
            if (Array.Exists(Twins, t => t.EndsWith('-') ? rest.StartsWith(t, StringComparison.Ordinal) && rest.Length > t.Length : rest == t))
            {
                (twins ??= []).Add(new(CosPrefix + rest, value.ToString()));
            }
        }
        if (twins is not null)
        {
            foreach (var (name, value) in twins)
            {
                headers.TryAdd(name, value);
            }
        }
        if (headers["x-amz-acl"].ToString() is { Length: > 0 } acl && !headers.ContainsKey("x-cos-acl"))
        {
            // An S3 object's owner is the bucket's: the owner-only canned ACLs leave the object to its bucket's
            // access, as S3's do under a bucket policy; public-read opens it.
            var cos = acl.Trim().ToLowerInvariant() switch
            {
                "private" or "bucket-owner-full-control" or "bucket-owner-read" => "default",
                "public-read" => "public-read",
                _ => null,
            };
            if (cos is null)
            {
                return $"x-amz-acl '{acl}' is not supported for an object here: use private, bucket-owner-full-control, bucket-owner-read or public-read.";
            }
            headers["x-cos-acl"] = cos;
        }
        return null;
    }

    /// <summary>
    /// An S3 caller's <c>AccessControlPolicy</c> document as the gateway keeps it. In S3 a document that grants the
    /// public nothing is the <c>private</c> canned ACL with grants, and <c>private</c> leaves an S3 object to its bucket's
    /// access (see <see cref="ReadRequest"/>): so such a document follows the bucket too, and one that grants only the
    /// owner's full control — what <c>GET ?acl</c> answers for an object that follows its bucket, and what tools that
    /// keep an object's ACL across a change (s3cmd's <c>modify</c>, <c>setacl</c>) write back — sets nothing at all.
    /// </summary>
    public static (string Acl, IReadOnlyList<ObjectGrant> Grants) ReadAclDocument((string Acl, IReadOnlyList<ObjectGrant> Grants) document, string ownerId)
    {
        if (document.Acl != "private")
        {
            return document;
        }
        var ownerOnly = document.Grants.All(g => g.Grantee == ownerId && g.Permission == "FULL_CONTROL");
        return (ObjectAttributes.DefaultAcl, ownerOnly ? [] : document.Grants);
    }

    /// <summary>Spells the answer's <c>x-cos-*</c> headers <c>x-amz-*</c> just before it is sent.</summary>
    public static void AnswerInS3(HttpResponse response) => response.OnStarting(static state =>
    {
        var headers = ((HttpResponse)state).Headers;
        List<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>>? renamed = null;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith(CosPrefix, StringComparison.OrdinalIgnoreCase))
            {
                (renamed ??= []).Add(header);
            }
        }
        if (renamed is not null)
        {
            foreach (var (name, value) in renamed)
            {
                headers.Remove(name);
                headers[AmzPrefix + name[CosPrefix.Length..]] = value;
            }
        }
        return Task.CompletedTask;
    }, response);
}
