using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;

namespace OriginGateway.FrontDoor;

/// <summary>
/// A bucket's cross-origin (CORS) rules, as the front door asks for them: it hands every <c>OPTIONS</c>
/// request to <see cref="PreflightAsync"/> and, for a request with an <c>Origin</c>, lets
/// <see cref="AddHeaders"/> add what the rules allow. The CORS feature provides it.
/// </summary>
internal interface ICrossOriginRules
{
    /// <summary>Answers a preflight request on <paramref name="bucket"/> (anonymous, as browsers send them).</summary>
    Task PreflightAsync(HttpContext context, Bucket bucket, string rawPath);

    /// <summary>Adds the CORS headers the bucket's rules allow for <paramref name="origin"/> when the response starts (nothing when it has no rules).</summary>
    void AddHeaders(HttpContext context, Bucket bucket, string origin);
}
