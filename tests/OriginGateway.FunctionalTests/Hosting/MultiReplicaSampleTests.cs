using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OriginGateway.FunctionalTests.Infrastructure;
using OriginGateway.Tests;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>
/// The README's several-replicas commands against <c>samples/multi-replica/run.sh</c>, as a newcomer runs
/// them: the script starts PostgreSQL, Redis, s3rver and two replicas; only ports and the built gateway differ.
/// </summary>
public sealed class MultiReplicaSampleTests
{
    [Fact]
    public async Task ReadmeReplicaCommands_AgainstTheSampleScript_ShareObjectsAndRules()
    {
        NodeScript.RequirePackage("@20minutes/s3rver");
        ExternalTool.Require("redis-server", "redis-server");
        var (a, b) = (PortPair(), PortPair());
        var (postgres, redis, s3) = (TestPorts.Free(), TestPorts.Free(), TestPorts.Free());
        var gatewayCommand = $"dotnet {TestPaths.GatewayDll}";
        var commands = (await SampleScript.ReadmeBlockAsync("replicas"))
            .Replace("127.0.0.1:8080", $"127.0.0.1:{a}", StringComparison.Ordinal)
            .Replace("127.0.0.1:8081", $"127.0.0.1:{a + 1}", StringComparison.Ordinal)
            .Replace("127.0.0.1:8090", $"127.0.0.1:{b}", StringComparison.Ordinal)
            .Replace("127.0.0.1:8091", $"127.0.0.1:{b + 1}", StringComparison.Ordinal)
            .Replace("dotnet run --project src/OriginGateway --", gatewayCommand, StringComparison.Ordinal);
        var environment = new Dictionary<string, string>
        {
            ["OG_A_PORT"] = a.ToString(CultureInfo.InvariantCulture),
            ["OG_B_PORT"] = b.ToString(CultureInfo.InvariantCulture),
            ["OG_PG_PORT"] = postgres.ToString(CultureInfo.InvariantCulture),
            ["OG_REDIS_PORT"] = redis.ToString(CultureInfo.InvariantCulture),
            ["OG_S3_PORT"] = s3.ToString(CultureInfo.InvariantCulture),
            ["OG_GATEWAY_DLL"] = TestPaths.GatewayDll,
        };

        var output = await SampleScript.RunAsync("samples/multi-replica/run.sh", environment, "Ready", commands, [a, a + 1, b, b + 1, postgres, redis, s3], TimeSpan.FromSeconds(120));

        var lines = output.Split('\n');
        Assert.Equal("written through B", lines[0]);
        // B explains the key with the rule put through A: Mirror to the sample's origin.
        Assert.Matches("\"action\":\\s*\"mirror\"", output);
        Assert.Contains("http://127.0.0.1:9001/images/logo.png", output, StringComparison.Ordinal);
        Assert.Equal(2, lines.Count(l => l == "Healthy"));
    }

    /// <summary>A free port whose successor is free too (a replica's data and control ports).</summary>
    private static int PortPair()
    {
        while (true)
        {
            var port = TestPorts.Free();
            try
            {
                using var next = new TcpListener(IPAddress.Loopback, port + 1);
                next.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }
}
