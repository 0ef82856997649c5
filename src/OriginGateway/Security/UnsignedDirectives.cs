using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// The directives of a request that its signature leaves out. Each <c>x-amz-*</c> and <c>x-cos-*</c> header is a
/// directive the gateway acts on as the signer's — a copy source, an ACL, metadata, tags — and so is each query parameter
/// that names a sub-resource. A signature must cover the ones a request carries: the
/// holder of a presigned upload URL that signs only <c>host</c> could otherwise add <c>x-amz-copy-source</c> (or
/// <c>x-cos-copy-source</c>) and a public-read ACL and read any object the signer can, or add <c>?acl</c> and publish it.
/// </summary>
internal static class UnsignedDirectives
{
    public const string Amz = "x-amz-";
    public const string Cos = "x-cos-";

    /// <summary>
    /// The request's headers under one of <paramref name="prefixes"/> that <paramref name="signed"/> does not name
    /// (case-insensitively), lower-case and comma-separated; null when there are none.
    /// </summary>
    public static string? Headers(IHeaderDictionary headers, ReadOnlySpan<string> prefixes, IReadOnlyList<string> signed)
    {
        List<string>? unsigned = null;
        foreach (var (name, _) in headers)
        {
            var directive = false;
            foreach (var prefix in prefixes)
            {
                directive |= name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
            }
            if (!directive)
            {
                continue;
            }
            var covered = false;
            for (var i = 0; i < signed.Count && !covered; i++)
            {
                covered = signed[i].Equals(name, StringComparison.OrdinalIgnoreCase);
            }
            if (!covered)
            {
                (unsigned ??= []).Add(name.ToLowerInvariant());
            }
        }
        return unsigned is null ? null : string.Join(", ", unsigned);
    }

    /// <summary>
    /// The query parameters that name a sub-resource (<see cref="Subresources.NamesOne"/>) for which
    /// <paramref name="signed"/> is false, comma-separated; null when there are none.
    /// </summary>
    public static string? Parameters(IReadOnlyList<KeyValuePair<string, string>>? query, Func<string, bool> signed)
    {
        List<string>? unsigned = null;
        foreach (var (name, _) in query ?? [])
        {
            if (Subresources.NamesOne(name) && !signed(name) && unsigned?.Contains(name) != true)
            {
                (unsigned ??= []).Add(name);
            }
        }
        return unsigned is null ? null : string.Join(", ", unsigned);
    }
}
