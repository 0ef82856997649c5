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

    /// <summary>The README's exit codes: 2 for every kind of bad argument (the parser's own default is 1).</summary>
    [Theory]
    [InlineData("nosuchcommand")]
    [InlineData("sign", "PUT")]
    [InlineData("sign", "FOO", "http://127.0.0.1:8080/a.txt")]
    [InlineData("sign", "GET", "not a url")]
    [InlineData("tasks", "submit", "--key", "k")]
    [InlineData("tasks", "submit", "--url", "http://127.0.0.1:9/a", "--key", "k", "--on-key-exist", "overwrite")]
    [InlineData("rules", "validate")]
    [InlineData("rules", "validate", "/no/such/file.xml")]
    public async Task BadArguments_ExitWith2_AndSayWhy(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await GatewayCommandLine.RunAsync(arguments, output, error);

        Assert.Equal(2, exit);
        Assert.NotEmpty(error.ToString().Trim());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("put")]
    [InlineData("DELETE")]
    public async Task Sign_TakesRealMethods_InAnyCase(string method)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await GatewayCommandLine.RunAsync(["sign", method, "http://127.0.0.1:8080/a.txt"], output, error));
        Assert.StartsWith("q-sign-algorithm=sha1&q-ak=", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tasks_AgainstAGatewayThatCannotBeReached_ExitWith3()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(3, await GatewayCommandLine.RunAsync(["tasks", "status", "abc", "--gateway", $"http://127.0.0.1:{TestPorts.Free()}"], output, error));
        Assert.Contains("Cannot reach the gateway", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TasksSubmitHelp_NamesTheValuesTheServerAccepts()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await GatewayCommandLine.RunAsync(["tasks", "submit", "--help"], output, error));
        Assert.Contains("'override'", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("overwrite", output.ToString(), StringComparison.Ordinal);
    }
}
