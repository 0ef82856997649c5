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

        // Idle pool workers sleep at once instead of spinning in sched_yield ("The pool's idle spinning").
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
        Assert.Equal(7, properties.GetProperty("System.GC.ConserveMemory").GetInt32());
        Assert.True(properties.GetProperty("System.IO.DisableFileLocking").GetBoolean());
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }
}
