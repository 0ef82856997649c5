using Microsoft.AspNetCore.Http;

namespace OriginGateway.OriginPull;

/// <summary>Redirect: answer HttpRedirectCode (default 302) with Location = the origin URL. Nothing is fetched or stored.</summary>
internal static class RedirectAction
{
    public static void Handle(OriginPullContext pull, int status)
    {
        var response = pull.Request.Context.Response;
        response.StatusCode = status;
        response.Headers.Location = pull.Plan.LocationFor(pull.Rule.Hosts[0].HostName);
        response.ContentLength = 0;
    }
}
