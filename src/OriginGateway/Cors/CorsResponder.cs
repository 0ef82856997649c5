using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using OriginGateway.Buckets;
using OriginGateway.FrontDoor;
using OriginGateway.Protocol;

namespace OriginGateway.Cors;

/// <summary>
/// Answers preflight <c>OPTIONS</c> requests from the bucket's CORS rules (anonymous, as browsers send
/// them), and adds the CORS headers to actual responses — hits, origin-pull answers (Mirror, Proxy,
/// Redirect) and errors alike — when the request has an <c>Origin</c> a rule allows. The headers are
/// set as the response starts, so an origin's own Access-Control-* headers never decide for the bucket.
/// </summary>
internal sealed class CorsResponder(CorsService service) : ICrossOriginRules
{
    public Task PreflightAsync(HttpContext context, Bucket bucket, string rawPath)
    {
        var headers = context.Request.Headers;
        var origin = headers.Origin.ToString();
        var requestMethod = headers.AccessControlRequestMethod.ToString();
        if (origin.Length == 0 || requestMethod.Length == 0)
        {
            return CosError.WriteAsync(context, 400, "InvalidArgument", "A CORS preflight needs the Origin and Access-Control-Request-Method headers.", rawPath);
        }
        var requested = RequestedHeaders(headers.AccessControlRequestHeaders);
        var response = context.Response;
        response.Headers.Vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
        if (service.ConfigurationOf(bucket)?.Match(origin, requestMethod, requested) is not { } rule)
        {
            return CosError.WriteAsync(context, 403, "AccessForbidden", "CORSResponse: this CORS request is not allowed by the bucket's CORS configuration.", rawPath);
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlAllowMethods = rule.MethodList;
        if (requested.Count > 0)
        {
            response.Headers.AccessControlAllowHeaders = string.Join(", ", requested);
        }
        if (rule.ExposeList is { } expose)
        {
            response.Headers.AccessControlExposeHeaders = expose;
        }
        if (rule.MaxAgeSeconds is { } maxAge)
        {
            response.Headers.AccessControlMaxAge = maxAge.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>For an actual request with an <c>Origin</c> on a bucket with CORS rules: the headers, set when the response starts.</summary>
    public void AddHeaders(HttpContext context, Bucket bucket, string origin)
    {
        if (service.ConfigurationOf(bucket) is not { } cors)
        {
            return;
        }
        var rule = cors.Match(origin, context.Request.Method);
        context.Response.OnStarting(static state =>
        {
            var (context, origin, rule) = ((HttpContext, string, CorsRule?))state;
            var headers = context.Response.Headers;
            headers.Remove(HeaderNames.AccessControlAllowOrigin);
            headers.Remove(HeaderNames.AccessControlAllowMethods);
            headers.Remove(HeaderNames.AccessControlExposeHeaders);
            headers.Remove(HeaderNames.AccessControlMaxAge);
            headers.Remove(HeaderNames.AccessControlAllowCredentials);
            headers.Append(HeaderNames.Vary, "Origin");
            if (rule is not null)
            {
                headers.AccessControlAllowOrigin = origin;
                headers.AccessControlAllowMethods = rule.MethodList;
                if (rule.ExposeList is { } expose)
                {
                    headers.AccessControlExposeHeaders = expose;
                }
                if (rule.MaxAgeSeconds is { } maxAge)
                {
                    headers.AccessControlMaxAge = maxAge.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            return Task.CompletedTask;
        }, (context, origin, rule));
    }

    private static List<string> RequestedHeaders(Microsoft.Extensions.Primitives.StringValues values)
    {
        var list = new List<string>();
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                list.Add(part.ToLowerInvariant());
            }
        }
        return list;
    }
}
