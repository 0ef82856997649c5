using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OriginGateway.Configuration;

namespace OriginGateway.Persistence;

internal static class PersistenceFeature
{
    /// <summary>The control database (<c>Database</c> settings) and the per-bucket document repositories.</summary>
    /// <param name="defaultConnectionString">The SQLite database used when <c>Database:ConnectionString</c> is empty.</param>
    public static IServiceCollection AddControlDatabase(this IServiceCollection services, IConfiguration configuration, string defaultConnectionString)
    {
        services.AddSettings<DatabaseOptions, DatabaseOptionsValidator>(configuration, "Database");
        services.AddSingleton(sp =>
        {
            var database = sp.GetRequiredService<DatabaseOptions>();
            var connectionString = database.ConnectionString.Length > 0 ? database.ConnectionString : defaultConnectionString;
            return new ControlDatabase(database.ProviderKind, connectionString, sp.GetRequiredService<ILogger<ControlDatabase>>(), database.Timeout);
        });
        services.AddSingleton<OriginConfigurationRepository>();
        services.AddSingleton<BucketPolicyRepository>();
        services.AddSingleton<CorsConfigurationRepository>();
        return services;
    }
}
