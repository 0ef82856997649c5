using Microsoft.AspNetCore.Http;
using OriginGateway.FrontDoor;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.Rules;

/// <summary><c>GET /?origin-explain&amp;key=K[&amp;scheme=][&amp;query=][&amp;header=Name:Value…]</c>: the explanation as JSON.</summary>
internal sealed class OriginExplainEndpoint(OriginConfigurationService configurations) : ISubresourceProvider
{
    public IEnumerable<SubresourceRoute> Routes => [new("origin-explain", ResourceTarget.Bucket, HttpMethods.Get, BucketOperation.Configure, HandleAsync)];

    public async Task HandleAsync(DataRequest request)
    {
        var context = request.Context;
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await request.ErrorAsync(405, "MethodNotAllowed", "?origin-explain takes GET.").ConfigureAwait(false);
            return;
        }
        var key = QueryParameters.Get(request.Query, "key");
        if (string.IsNullOrEmpty(key) || KeyDecoding.Check(key) != KeyStatus.Valid)
        {
            await request.ErrorAsync(400, "InvalidArgument", "?origin-explain needs key=<a valid object key>.").ConfigureAwait(false);
            return;
        }
        var scheme = QueryParameters.Get(request.Query, "scheme") ?? context.Request.Scheme;
        if (scheme is not ("http" or "https"))
        {
            await request.ErrorAsync(400, "InvalidArgument", "scheme must be http or https.").ConfigureAwait(false);
            return;
        }
        var headers = new HeaderDictionary();
        foreach (var (name, value) in request.Query!)
        {
            if (name != "header")
            {
                continue;
            }
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !OriginConfigurationValidator.IsToken(value[..colon]))
            {
                await request.ErrorAsync(400, "InvalidArgument", $"header '{value}' is not Name:Value.").ConfigureAwait(false);
                return;
            }
            headers.Append(value[..colon], value[(colon + 1)..].Trim());
        }

        var body = OriginExplanation.Explain(configurations.RulesOf(request.Bucket), key, scheme, QueryParameters.Get(request.Query, "query"), headers);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
