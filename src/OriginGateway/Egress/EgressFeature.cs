using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OriginGateway.Configuration;

namespace OriginGateway.Egress;

internal static class EgressFeature
{
    /// <summary>The one egress guard (<c>Egress</c> settings) every outgoing connection passes.</summary>
    public static IServiceCollection AddEgress(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<EgressOptions, EgressOptionsValidator>(configuration, "Egress");
        services.AddSingleton(sp =>
        {
            var egress = sp.GetRequiredService<EgressOptions>();
            return new EgressAddressClassifier(egress.AllowedNetworks, egress.DeniedNetworks);
        });
        services.TryAddSingleton<IEgressResolver, DnsEgressResolver>();
        services.AddSingleton<EgressGuard>();
        return services;
    }
}
