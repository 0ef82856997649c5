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

    [Fact]
    public void Validate_TaskVodAndOmsSettings()
    {
        var options = Valid();
        options.Tasks.Workers = 0;
        options.Tasks.Lease = TimeSpan.FromSeconds(1);
        options.Callbacks.MaxAttempts = 0;
        options.Egress.AllowedPorts = ["80", "http"];
        options.Vod.Buckets["0"] = "missing-1250000000";
        options.Vod.EventCallbackUrl = "ftp://x";
        options.Oms.Tokens["p"] = "short";

        var errors = GatewayOptionsValidator.Validate(options, isProduction: false);

        foreach (var setting in new[] { "Tasks:Workers", "Tasks:Lease", "Callbacks:MaxAttempts", "Egress:AllowedPorts:1", "Vod:Buckets:0", "Vod:EventCallbackUrl", "Oms:Tokens:p" })
        {
            Assert.Contains(errors, e => e.StartsWith(setting, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_Production_RefusesTheDevelopmentTokenAndCallbackSecret()
    {
        var options = Valid();
        options.Oms.Tokens["dev-project"] = OriginGateway.Oms.OmsOptions.DevelopmentToken;
        options.Callbacks.Secret = OriginGateway.Callbacks.CallbackOptions.DevelopmentSecret;

        Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: false));
        var errors = GatewayOptionsValidator.Validate(options, isProduction: true);
        Assert.Contains(errors, e => e.StartsWith("Oms:Tokens:dev-project", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Callbacks:Secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RefusesABucketHostThatIsAServiceHost_AndBadServiceHostsAndMultipartDurations()
    {
        var options = Valid();
        options.Buckets[0].Hosts = ["cos.ap-guangzhou.myqcloud.com"];
        options.ServiceHosts = ["service.example.com:8080", "*.*.example.com", "cos.*.myqcloud.com"];
        options.Multipart.SweepInterval = TimeSpan.Zero;

        var errors = GatewayOptionsValidator.Validate(options, isProduction: false);

        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Hosts:0", StringComparison.Ordinal) && e.Contains("service host", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ServiceHosts:0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ServiceHosts:1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Multipart:SweepInterval", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_HttpsEndpoints_KnownProxies_AndTheGracePeriod()
    {
        var options = Valid();
        options.Endpoints.Data = "https://0.0.0.0:8443";
        options.Endpoints.Control = "https://127.0.0.1:8444";
        Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: true));

        options.Endpoints.Data = "ftp://0.0.0.0:21";
        options.ForwardedHeaders.KnownProxies = ["10.0.0.1", "not-an-address"];
        options.Shutdown.GracePeriod = TimeSpan.FromHours(1);
        var errors = GatewayOptionsValidator.Validate(options, isProduction: false);

        Assert.Contains(errors, e => e.StartsWith("Endpoints:Data", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ForwardedHeaders:KnownProxies:1", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("ForwardedHeaders:KnownProxies:0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Shutdown:GracePeriod", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_S3Storage_NeedsEndpointBucketKeys_AndSeparatePrefixes()
    {
        var options = Valid();
        options.Buckets[0].Storage = new OriginGateway.Storage.StorageOptions { Kind = "S3", ServiceUrl = "s3.example", Prefix = "data/", UploadsPrefix = "data/uploads/", PartSize = 1024, CacheTtl = TimeSpan.FromSeconds(-1) };
        options.Buckets.Add(new BucketOptions { Name = "other-1250000000", Storage = new OriginGateway.Storage.StorageOptions { Kind = "Tape" } });

        var errors = GatewayOptionsValidator.Validate(options, isProduction: false);

        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:ServiceUrl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:BucketName", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:AccessKey", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:Prefix", StringComparison.Ordinal) && e.Contains("overlap", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:PartSize", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:CacheTtl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:1:Storage:Kind 'Tape'", StringComparison.Ordinal));

        options.Buckets.RemoveAt(1);
        options.Buckets[0].Storage = new OriginGateway.Storage.StorageOptions { Kind = "S3", ServiceUrl = "http://127.0.0.1:9000", BucketName = "objects", AccessKey = "ak", SecretKey = "sk" };
        Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: false));
    }

    [Fact]
    public void Validate_RedisCoordination_NeedsAConfiguration_AndSaneTimings()
    {
        var options = Valid();
        options.Coordination = new OriginGateway.Coordination.CoordinationOptions { Provider = "Redis", FillLockTtl = TimeSpan.FromMilliseconds(10), BreakerFailures = 0 };

        var errors = GatewayOptionsValidator.Validate(options, isProduction: false);

        Assert.Contains(errors, e => e.StartsWith("Coordination:Redis", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Coordination:FillLockTtl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Coordination:BreakerFailures", StringComparison.Ordinal));
        Assert.Contains(GatewayOptionsValidator.Validate(new GatewayOptions { Coordination = { Provider = "Zookeeper" } }, isProduction: false), e => e.StartsWith("Coordination:Provider", StringComparison.Ordinal));

        options.Coordination = new OriginGateway.Coordination.CoordinationOptions { Provider = "Redis", Redis = "127.0.0.1:6379,password=secret" };
        Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: false));
    }

    [Fact]
    public void Coordination_AConnectionStringAlone_TurnsRedisOn_AndAContradictingProviderStopsTheStart()
    {
        var options = Valid();
        options.Coordination = new OriginGateway.Coordination.CoordinationOptions { Redis = "127.0.0.1:6379,user=gateway,password=secret" };
        Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: false));
        Assert.True(options.Coordination.UsesRedis);

        options.Coordination = new OriginGateway.Coordination.CoordinationOptions();
        Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: false));
        Assert.False(options.Coordination.UsesRedis);

        options.Coordination = new OriginGateway.Coordination.CoordinationOptions { Provider = "Local", Redis = "127.0.0.1:6379" };
        Assert.Contains(GatewayOptionsValidator.Validate(options, isProduction: false), e => e.StartsWith("Coordination:Provider is Local but Coordination:Redis is set", StringComparison.Ordinal));

        options.Coordination = new OriginGateway.Coordination.CoordinationOptions { Provider = "Redis" };
        Assert.Contains(GatewayOptionsValidator.Validate(options, isProduction: false), e => e.StartsWith("Coordination:Redis is not set although Coordination:Provider is Redis", StringComparison.Ordinal));
    }

    [Fact]
    public void Coordination_TlsFiles_MustExist_AndAClientCertificateNeedsItsKey()
    {
        var existing = Path.GetTempFileName();
        try
        {
            var options = Valid();
            options.Coordination = new OriginGateway.Coordination.CoordinationOptions { Redis = "127.0.0.1:6380,ssl=true", TlsCaCertificate = existing, TlsClientCertificate = existing, TlsClientKey = existing };
            Assert.Empty(GatewayOptionsValidator.Validate(options, isProduction: false));

            options.Coordination = new OriginGateway.Coordination.CoordinationOptions { Redis = "127.0.0.1:6380,ssl=true", TlsCaCertificate = existing + ".missing", TlsClientCertificate = existing };
            var errors = GatewayOptionsValidator.Validate(options, isProduction: false);
            Assert.Contains(errors, e => e.StartsWith("Coordination:TlsCaCertificate names", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.StartsWith("Coordination:TlsClientCertificate and Coordination:TlsClientKey go together", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(existing);
        }
    }
}
