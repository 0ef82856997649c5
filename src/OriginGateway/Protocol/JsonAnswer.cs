using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OriginGateway.Protocol;

/// <summary>
/// Writes a JSON answer of the control endpoint's APIs (fetch tasks, VOD, sync tasks): one root
/// object whose members the caller writes, with its status, type and length.
/// </summary>
internal static class JsonAnswer
{
    public static Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            members(json);
            json.WriteEndObject();
        }
        var bytes = buffer.ToArray();
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes).AsTask();
    }
}
