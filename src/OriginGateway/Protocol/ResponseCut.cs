using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>
/// Cuts a data response that cannot be finished (its body failed after the headers went out), so the
/// client sees a broken transfer rather than a short clean one — and remembers it, for the request metric.
/// </summary>
internal static class ResponseCut
{
    private static readonly object Marker = new();

    public static void Abort(HttpContext context)
    {
        context.Items[Marker] = Marker;
        context.Abort();
    }

    /// <summary>Whether the response was cut, by the gateway or by a client that went away.</summary>
    public static bool WasCut(HttpContext context) =>
        context.RequestAborted.IsCancellationRequested || (context.Items.Count > 0 && context.Items.ContainsKey(Marker));
}
