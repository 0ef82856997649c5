using System.Text;
using Microsoft.Extensions.Configuration;
using OriginGateway.Hosting;

namespace OriginGateway.Tests.Hosting;

public class GatewayOptionsBindingTests
{
    private static GatewayOptions Bind(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().Get<GatewayOptions>() ?? new GatewayOptions();

    [Fact]
    public void AllowedPorts_DefaultIs80And443()
    {
        Assert.Equal([80, 443], Bind("{}").Egress.EffectiveAllowedPorts);
    }

    [Fact]
    public void AllowedPorts_ConfiguredListReplacesTheDefault()
    {
        Assert.Equal([8443], Bind("""{"Egress":{"AllowedPorts":["8443"]}}""").Egress.EffectiveAllowedPorts);
    }

    [Fact]
    public void AllowedPorts_Star_MeansAnyPort()
    {
        Assert.Empty(Bind("""{"Egress":{"AllowedPorts":["*"]}}""").Egress.EffectiveAllowedPorts);
    }

    [Fact]
    public void AllowedPorts_EmptyJsonList_IsTheDefault_BecauseConfigurationCannotTellItFromNoSetting()
    {
        Assert.Equal([80, 443], Bind("""{"Egress":{"AllowedPorts":[]}}""").Egress.EffectiveAllowedPorts);
    }
}
