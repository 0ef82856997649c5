using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;

namespace OriginGateway.FrontDoor;

/// <summary>Writes a data-endpoint XML answer (COS result documents) and formats its timestamps.</summary>
internal static class XmlAnswer
{
    public static Task WriteAsync(DataRequest request, XElement result, int status = StatusCodes.Status200OK) =>
        WriteAsync(request.Context, result, status);

    public static async Task WriteAsync(HttpContext context, XElement result, int status = StatusCodes.Status200OK)
    {
        var response = context.Response;
        if (KeptAliveAnswer.IsBegun(context))
        {
            // A 200 and the XML declaration already sent while the work ran (a long multipart completion): the result follows.
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(result.ToString(SaveOptions.DisableFormatting)), context.RequestAborted).ConfigureAwait(false);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + result.ToString(SaveOptions.DisableFormatting));
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>ISO 8601 in UTC with milliseconds, as COS lists show times.</summary>
    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
