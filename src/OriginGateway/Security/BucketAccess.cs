namespace OriginGateway.Security;

/// <summary>Who may do what with a bucket (<c>03-security.md</c> §3.1), given how the request authenticated.</summary>
internal static class BucketAccess
{
    /// <summary>Null when allowed; otherwise the message of a 403 <c>AccessDenied</c>.</summary>
    public static string? Check(CosAuthResult auth, string bucket, bool publicRead, bool publicList, BucketOperation operation)
    {
        if (auth.Credential is { } credential)
        {
            return credential.MayUse(bucket) ? null : "This credential may not use this bucket.";
        }
        var anonymousAllowed = operation switch
        {
            BucketOperation.ReadObject => publicRead,
            BucketOperation.List => publicList,
            BucketOperation.HeadBucket => publicRead || publicList,
            _ => false,
        };
        return anonymousAllowed ? null : "Access denied: this request must be signed.";
    }
}
