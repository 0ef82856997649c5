using OriginGateway.Hosting;

namespace OriginGateway.Tests.Hosting;

public sealed class GatewayCommandLineTests
{
    [Fact]
    public void Split_PassesSettingsThroughBeforeOrAfterTheSubCommand()
    {
        var (command, configuration) = GatewayCommandLine.Split(["--Endpoints:Data=http://127.0.0.1:9", "rules", "validate", "f.xml", "--DataDirectory=/tmp/x"]);

        Assert.Equal(["rules", "validate", "f.xml"], command);
        Assert.Equal(["--Endpoints:Data=http://127.0.0.1:9", "--DataDirectory=/tmp/x"], configuration);
    }

    [Fact]
    public async Task RulesValidate_InvalidFile_ListsEveryErrorAndFails()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "<OriginConfiguration><OriginRule><OriginType>Cache</OriginType></OriginRule></OriginConfiguration>");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await GatewayCommandLine.RunAsync(["rules", "validate", file], output, error);

        Assert.Equal(1, exit);
        var text = error.ToString();
        Assert.Contains("RulePriority is required", text, StringComparison.Ordinal);
        Assert.Contains("is not one of Proxy, Mirror, Redirect", text, StringComparison.Ordinal);
        Assert.Contains("OriginInfo is required", text, StringComparison.Ordinal);
        File.Delete(file);
    }

    [Fact]
    public async Task RulesValidate_ValidFile_Succeeds()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, OriginSeed.Example);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await GatewayCommandLine.RunAsync(["rules", "validate", file], output, error);

        Assert.Equal(0, exit);
        Assert.Contains("valid, 1 rule(s)", output.ToString(), StringComparison.Ordinal);
        File.Delete(file);
    }
}
