using OriginGateway.Buckets;
using OriginGateway.Hosting;
using OriginGateway.Security;

namespace OriginGateway.Tests.Hosting;

public sealed class GatewayOptionsValidatorTests
{
    private static GatewayOptions Valid() => new()
    {
        DefaultBucket = "examplebucket-1250000000",
        Buckets = [new BucketOptions { Name = "examplebucket-1250000000" }],
        Credentials = [new CredentialOptions { SecretId = "AKIDX", SecretKey = "k" }],
    };

    [Fact]
    public void Validate_Defaults_HaveNoErrors()
    {
        Assert.Empty(GatewayOptionsValidator.Validate(Valid(), isProduction: true));
    }

    [Fact]
    public void Validate_ReportsEveryProblem_NamingTheSetting()
    {
        var options = Valid();
        options.Endpoints.Data = "ftp://x";
        options.DefaultBucket = "nope-1";
        options.Buckets.Add(new BucketOptions { Name = "Bad_Name" });
        options.Credentials.Add(new CredentialOptions { SecretId = "AKIDY" });
        options.Limits.MaxPutSize = 0;

        var errors = GatewayOptionsValidator.Validate(options, isProduction: false);

        Assert.Contains(errors, e => e.StartsWith("Endpoints:Data", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("DefaultBucket", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:1:Name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Credentials:1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Limits:MaxPutSize", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_DevelopmentCredentialInProduction_IsRefused()
    {
        var options = Valid();
        options.Credentials.Add(new CredentialOptions { SecretId = CredentialStore.DevelopmentSecretId, SecretKey = "x" });

        Assert.Contains(GatewayOptionsValidator.Validate(options, isProduction: true), e => e.Contains("development credential", StringComparison.Ordinal));
        Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: false));
    }

    [Fact]
    public void Validate_SamePortForBothEndpoints_IsRefused()
    {
        var options = Valid();
        options.Endpoints.Control = options.Endpoints.Data;

        Assert.Contains(GatewayOptionsValidator.Validate(options, isProduction: false), e => e.Contains("different ports", StringComparison.Ordinal));
    }
}
