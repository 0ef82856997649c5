using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;
using OriginGateway.Security;

namespace OriginGateway.FrontDoor;

/// <summary>
/// S3's guard against writing into, or reading from, a bucket of another account than the caller believes:
/// <c>x-amz-expected-bucket-owner</c> names the account that owns the bucket a request addresses,
/// <c>x-amz-source-expected-bucket-owner</c> the one that owns a copy's source bucket. When the bucket's owner is
/// another, the request is refused with 403 <c>AccessDenied</c> before anything is read or changed — never ignored, so a
/// migration script that relies on the guard is not let through to the wrong bucket. A bucket's owner is its APPID
/// (the digits after its name's last dash), written either alone or as the owner id of its ACLs.
/// </summary>
internal static class ExpectedBucketOwner
{
    public const string Header = "x-amz-expected-bucket-owner";
    public const string SourceHeader = "x-amz-source-expected-bucket-owner";

    /// <summary>The 403 message when <paramref name="header"/> names another owner than <paramref name="bucket"/>'s; null when it is absent or names it.</summary>
    public static string? Refusal(IHeaderDictionary headers, string header, Bucket bucket)
    {
        // On every request: one lookup of a header that is almost never there.
        if (!headers.TryGetValue(header, out var values) || values.Count == 0)
        {
            return null;
        }
        var expected = values.ToString().Trim();
        return expected == ObjectAcl.OwnerId(bucket) || (bucket.AppId.Length > 0 && expected == bucket.AppId)
            ? null
            : $"Access Denied: the bucket {bucket.Name} is not owned by the account in {header}.";
    }
}
