using System.Net.Sockets;
using System.Text;
using OriginGateway.Security;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>A response read off a raw socket.</summary>
internal sealed record RawResponse(int Status, Dictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// HTTP/1.1 over a raw socket, for request targets that <see cref="HttpClient"/> would normalise
/// (<c>a/../b</c>, <c>%2e%2e</c>) or refuse.
/// </summary>
internal static class RawHttp
{
    public static async Task<RawResponse> SendAsync(int port, string method, string target, IEnumerable<KeyValuePair<string, string>>? headers = null, byte[]? body = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        var request = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers ?? [])
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (body is not null)
        {
            request.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        if (body is not null)
        {
            await stream.WriteAsync(body);
        }

        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        var bytes = all.ToArray();
        var split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.ASCII.GetString(bytes, 0, split).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var responseHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            responseHeaders[line[..colon]] = line[(colon + 1)..].Trim();
        }
        return new RawResponse(status, responseHeaders, bytes[(split + 4)..]);
    }

    /// <summary>Sends a COS-signed request whose signature covers <paramref name="decodedPath"/>.</summary>
    public static Task<RawResponse> SendSignedAsync(int port, string method, string target, string decodedPath, byte[]? body = null)
    {
        var now = DateTimeOffset.UtcNow;
        var host = $"127.0.0.1:{port}";
        var authorization = CosSignature.Authorization(GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, now, now.AddMinutes(5), method, decodedPath, [], [new("host", host)]);
        return SendAsync(port, method, target, [new("Authorization", authorization)], body);
    }
}
