using Microsoft.Extensions.DependencyInjection;

namespace OriginGateway.Security;

internal static class SecurityFeature
{
    /// <summary>Who may do what: the credentials, COS signatures, bucket policies.</summary>
    public static IServiceCollection AddAccessControl(this IServiceCollection services, IReadOnlyList<CredentialOptions> credentials)
    {
        services.AddSingleton(_ => new CredentialStore(credentials));
        services.AddSingleton<CosAuthenticator>();
        services.AddSingleton<S3Authenticator>();
        services.AddSingleton<BucketPolicyService>();
        return services;
    }
}
