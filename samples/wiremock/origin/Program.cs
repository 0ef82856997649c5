using System.Globalization;
using WireMock.Server;
using WireMock.Settings;

// An HTTP origin for the walkthrough: WireMock.Net on 127.0.0.1:<port>, stubs read from the WireMock
// (Java) JSON mapping files of a directory, its admin API under /__admin. Runs until SIGTERM or Ctrl-C.
if (args.Length != 2 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
{
    await Console.Error.WriteLineAsync("usage: WireMockOrigin <port> <mappings directory>");
    return 2;
}
var server = WireMockServer.Start(new WireMockServerSettings
{
    Urls = [$"http://127.0.0.1:{port}"],
    StartAdminInterface = true,
});
foreach (var file in Directory.GetFiles(args[1], "*.json").Order(StringComparer.Ordinal))
{
    server.ReadStaticWireMockOrgMappingAndAddOrUpdate(file);
}
Console.WriteLine($"WireMock.Net origin on http://127.0.0.1:{port} with {server.Mappings.Count(m => !m.IsAdminInterface)} stub(s) from {args[1]}");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Stopping.
}
server.Stop();
return 0;
