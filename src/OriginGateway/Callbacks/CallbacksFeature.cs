using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OriginGateway.Configuration;
using OriginGateway.Tasks;

namespace OriginGateway.Callbacks;

internal static class CallbacksFeature
{
    /// <summary>Signed callback delivery (<c>Callbacks</c> settings), a task kind.</summary>
    public static IServiceCollection AddCallbacks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<CallbackOptions, CallbackOptionsValidator>(configuration, "Callbacks");
        services.AddSingleton<ITaskHandler, CallbackHandler>();
        return services;
    }
}
