using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Security;

/// <summary>
/// More client connections than the process's open-file limit can hold, as a flood or a misbehaving load balancer
/// brings them. A .NET process out of descriptors is aborted by the runtime ("Out of memory."), so the gateway caps the
/// connections it accepts to what its limit leaves.
/// </summary>
[Collection(RunsAloneCollection.Name)] // a thousand connections and streams load both cores: other tests' start-up deadlines must not share them
public sealed partial class ConnectionFloodTests
{
    private const int OpenFileLimit = 1024;
    private const int Flood = 1500;

    [Fact]
    public async Task AFloodBeyondTheOpenFileLimit_IsClosedAtAccept_WhileHeldConnectionsAndTheControlEndpointServe_AndTheGatewayLives()
    {
        await using var gateway = await GatewayProcess.StartAsync(openFileLimit: OpenFileLimit);
        var body = Encoding.UTF8.GetBytes("still here");
        var put = new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "flood.txt")) { Content = CosSigner.Bytes(body, "text/plain") };
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(put.Sign())).StatusCode);
        // Logged as the gateway starts, through the logger's queue: it can land after the banner.
        Assert.True(await gateway.WaitForOutputAsync("Client connections: at most", TimeSpan.FromSeconds(10)), gateway.Output);
        var stated = CapLine().Match(gateway.Output);
        Assert.True(stated.Success, "the start-up log does not state the connection cap:\n" + gateway.Output);
        var cap = int.Parse(stated.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(cap, 16, OpenFileLimit / 2);

        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < Flood; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                // The kernel completes the handshake whether or not the gateway accepts: every connect succeeds while it lives.
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, gateway.DataUrl.Port);
                }
                catch (SocketException e)
                {
                    Assert.Fail($"connection {i + 1} of the flood: {e.SocketErrorCode}; the gateway {(gateway.HasExited ? "died" : "lives")}:\n{Tail(gateway.Output)}");
                }
            }
            // Each asks for the object on its connection (kept alive): the held ones are answered, the rest were closed.
            var outcomes = await Task.WhenAll(sockets.Select(socket => AskAsync(socket, gateway.DataUrl.Port)));
            var answered = outcomes.Count(o => o == Outcome.Answered);
            var closed = outcomes.Count(o => o == Outcome.Closed);
            Assert.False(gateway.HasExited, "the gateway died under the flood:\n" + Tail(gateway.Output));
            Assert.True(outcomes.All(o => o != Outcome.Hung), $"{outcomes.Count(o => o == Outcome.Hung)} connections neither answered nor closed");
            Assert.InRange(answered, 1, cap);
            Assert.True(closed >= Flood - cap, $"{closed} connections closed, {answered} answered, cap {cap}");

            // While the data endpoint is full the control endpoint has its own cap: readiness and metrics answer.
            Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "readyz"))).StatusCode);
            var metrics = await gateway.Client.GetStringAsync(new Uri(gateway.ControlUrl, "metrics"));
            var rejected = RejectedLine().Matches(metrics).Where(m => m.Groups[1].Value == gateway.DataUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Select(m => double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();
            Assert.True(rejected >= Flood - cap, $"rejected connections counted: {rejected}");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        // Once the flood is gone, new connections are served again.
        HttpResponseMessage? again = null;
        for (var attempt = 0; attempt < 50 && again?.StatusCode != HttpStatusCode.OK; attempt++)
        {
            try
            {
                again = await gateway.Client.GetAsync(new Uri(gateway.DataUrl, "flood.txt"));
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        Assert.Equal(HttpStatusCode.OK, again?.StatusCode);
        Assert.Equal(body, await again!.Content.ReadAsByteArrayAsync());
        Assert.False(gateway.HasExited);
        // Counted, not logged one line per refused connection.
        Assert.DoesNotContain("rejected because the maximum number of concurrent connections", gateway.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// HTTP/2 carries up to 100 requests on one connection, each able to hold an object file: ten connections hold a
    /// thousand files, beyond what 1024 descriptors allow, although the connection cap is far from reached. (h2load with
    /// ten connections of a hundred streams each killed the gateway this way.) Requests in flight are capped like connections.
    /// </summary>
    [Fact]
    public async Task HttpTwoStreamsBeyondTheCap_AreAnsweredSlowDown_WhileTheAdmittedOnesAreServedWhole_AndTheGatewayLives()
    {
        using var certificates = TestCertificates.Create();
        using var serverCertificate = X509CertificateLoader.LoadCertificateFromFile(certificates.ServerCertificate);
        await using var gateway = await GatewayProcess.StartAsync(certificates.HttpsDataEndpoint, trusted: serverCertificate, openFileLimit: OpenFileLimit);
        var body = new byte[1024 * 1024];
        Random.Shared.NextBytes(body);
        var put = new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.DataUrl, "h2/big.bin")) { Content = CosSigner.Bytes(body, "application/octet-stream") };
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.SendAsync(put.Sign())).StatusCode);
        Assert.True(await gateway.WaitForOutputAsync("Client connections: at most", TimeSpan.FromSeconds(10)), gateway.Output);
        var cap = int.Parse(CapLine().Match(gateway.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        // Ten HTTP/2 connections of a hundred streams each; no body is read until every answer has begun, so each
        // admitted stream holds its file open (its flow-control window is full).
        var clients = Enumerable.Range(0, 10).Select(_ => new HttpClient(new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == serverCertificate.GetCertHashString() },
        })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        }).ToList();
        try
        {
            var responses = await Task.WhenAll(clients.SelectMany(client => Enumerable.Range(0, 100).Select(_ =>
                client.GetAsync(new Uri(gateway.DataUrl, "h2/big.bin"), HttpCompletionOption.ResponseHeadersRead))));
            Assert.False(gateway.HasExited, "the gateway died under the streams:\n" + Tail(gateway.Output));
            Assert.All(responses, r => Assert.Equal(HttpVersion.Version20, r.Version));
            var served = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
            var shed = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
            Assert.Equal(responses.Length, served.Count + shed.Count);
            Assert.InRange(served.Count, 1, cap);
            foreach (var response in shed)
            {
                Assert.Equal("1", response.Headers.RetryAfter?.ToString());
                Assert.Contains("<Code>SlowDown</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            foreach (var response in served)
            {
                Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
            }
            responses.ToList().ForEach(r => r.Dispose());

            // Nothing is held any more: every stream is served again.
            var again = await Task.WhenAll(clients.Select(client => client.GetByteArrayAsync(new Uri(gateway.DataUrl, "h2/big.bin"))));
            Assert.All(again, bytes => Assert.Equal(body, bytes));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
        Assert.False(gateway.HasExited);
        var metrics = await gateway.Client.GetStringAsync(new Uri(gateway.ControlUrl, "metrics"));
        Assert.Matches(@"origin_gateway_requests_total\{[^}]*status=""503""[^}]*\} [1-9]", metrics);
    }

    private enum Outcome
    {
        Answered,
        Closed,
        Hung,
    }

    private static async Task<Outcome> AskAsync(Socket socket, int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /flood.txt HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"), SocketFlags.None, timeout.Token);
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return read == 0 ? Outcome.Closed
                : Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200", StringComparison.Ordinal) ? Outcome.Answered
                : throw new InvalidOperationException("unexpected answer: " + Encoding.ASCII.GetString(buffer, 0, read));
        }
        catch (SocketException)
        {
            return Outcome.Closed;
        }
        catch (OperationCanceledException)
        {
            return Outcome.Hung;
        }
    }

    private static string Tail(string output) => output.Length > 4000 ? output[^4000..] : output;

    [GeneratedRegex(@"Client connections: at most (\d+) at a time per endpoint")]
    private static partial Regex CapLine();

    [GeneratedRegex(@"^microsoft_aspnetcore_server_kestrel_kestrel_rejected_connections\{[^}]*server_port=""(\d+)""[^}]*\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex RejectedLine();
}
