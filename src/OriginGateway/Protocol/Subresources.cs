using System.Collections.Frozen;

namespace OriginGateway.Protocol;

/// <summary>
/// The query parameters that decide what a request does: the COS and S3 sub-resource names (<c>?acl</c>, <c>?uploads</c>,
/// <c>?append</c>, …; which of them the gateway implements is the front door's sub-resource table).
/// </summary>
internal static class Subresources
{
    /// <summary>Every sub-resource name known (COS, S3, and the gateway's own <c>origin-explain</c>).</summary>
    public static readonly FrozenSet<string> Names = new[]
    {
        "acl", "tagging", "cors", "lifecycle", "policy", "website", "versioning", "versions", "versionId",
        "uploads", "uploadId", "partNumber", "restore", "select", "select-type", "torrent", "retention", "legal-hold",
        "attributes", "append", "position", "symlink", "rename", "replication", "logging", "inventory",
        "encryption", "referer", "object-lock", "accelerate", "intelligenttiering", "notification",
        "requestPayment", "ownershipControls", "publicAccessBlock", "analytics", "metrics", "domain",
        "origin", "origin-explain", "delete", "location", "ci-process",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The same names in any letter case, for refusing a mis-cased one.</summary>
    public static readonly FrozenSet<string> NamesAnyCase = Names.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <paramref name="parameter"/> names a sub-resource (in any letter case: a mis-cased one is refused, not
    /// ignored), so that it decides the operation. A presigned URL must sign each of these it carries — the holder of a
    /// URL to upload an object could otherwise add <c>?acl</c> and make it public.
    /// </summary>
    public static bool NamesOne(string parameter) => NamesAnyCase.Contains(parameter);
}
