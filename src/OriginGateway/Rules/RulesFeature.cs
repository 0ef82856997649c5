using Microsoft.Extensions.DependencyInjection;
using OriginGateway.FrontDoor;

namespace OriginGateway.Rules;

internal static class RulesFeature
{
    /// <summary>The buckets' origin rules: their service and the <c>?origin</c> and <c>?origin-explain</c> sub-resources.</summary>
    public static IServiceCollection AddOriginRules(this IServiceCollection services)
    {
        services.AddSingleton<OriginConfigurationService>();
        services.AddSingleton<OriginConfigurationEndpoint>();
        services.AddSingleton<ISubresourceProvider>(sp => sp.GetRequiredService<OriginConfigurationEndpoint>());
        services.AddSingleton<ISubresourceProvider, OriginExplainEndpoint>();
        return services;
    }
}
