using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>The runtime settings the gateway's build carries in its runtime configuration (bench/README.md says why each).</summary>
public sealed class RuntimeConfigurationTests
{
    [Fact]
    public async Task GatewayBuild_RuntimeConfiguration_CarriesTheMeasuredSettings()
    {
        var path = Path.ChangeExtension(TestPaths.GatewayDll, ".runtimeconfig.json");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var properties = document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        // The thread pool's idle workers spin as the runtime's default has them: not spinning was measured and taken back
        // ("The pool's idle spinning").
        Assert.False(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out _));
        Assert.Equal(7, properties.GetProperty("System.GC.ConserveMemory").GetInt32());
        Assert.True(properties.GetProperty("System.IO.DisableFileLocking").GetBoolean());
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }
}
