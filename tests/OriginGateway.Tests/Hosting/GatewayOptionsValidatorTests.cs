using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using OriginGateway.Coordination;
using OriginGateway.Hosting;
using OriginGateway.Security;

namespace OriginGateway.Tests.Hosting;

/// <summary>
/// The start-up check as the gateway runs it: every feature wired by the composition root from settings,
/// each binding and checking its own section (<c>ValidateOnStart</c>), every problem of every feature listed.
/// </summary>
public sealed class GatewayOptionsValidatorTests
{
    private static Dictionary<string, string?> Valid() => new()
    {
        ["DefaultBucket"] = "examplebucket-1250000000",
        ["Buckets:0:Name"] = "examplebucket-1250000000",
        ["Credentials:0:SecretId"] = "AKIDX",
        ["Credentials:0:SecretKey"] = "k",
    };

    private static async Task<IReadOnlyList<string>> ProblemsAsync(Dictionary<string, string?> settings, bool production)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = production ? Environments.Production : Environments.Development });
        services.AddLogging();
        services.AddOriginGateway(configuration, configuration.Get<GatewayOptions>() ?? new GatewayOptions());
        await using var provider = services.BuildServiceProvider();
        return await GatewayHost.SettingsProblemsAsync(provider);
    }

    private static Dictionary<string, string?> With(params (string Key, string? Value)[] changes)
    {
        var settings = Valid();
        foreach (var (key, value) in changes)
        {
            settings[key] = value;
        }
        return settings;
    }

    [Fact]
    public async Task Validate_Defaults_HaveNoErrors() => Assert.Empty(await ProblemsAsync(Valid(), production: true));

    [Fact]
    public async Task Validate_ReportsEveryProblemOfEveryFeature_NamingTheSetting()
    {
        var errors = await ProblemsAsync(With(
            ("Endpoints:Data", "ftp://x"),
            ("DefaultBucket", "nope-1"),
            ("Buckets:1:Name", "Bad_Name"),
            ("Credentials:1:SecretId", "AKIDY"),
            ("Limits:MaxPutSize", "0"),
            ("Tasks:Workers", "0")), production: false);

        foreach (var setting in new[] { "Endpoints:Data", "DefaultBucket", "Buckets:1:Name", "Credentials:1", "Limits:MaxPutSize", "Tasks:Workers" })
        {
            Assert.Contains(errors, e => e.StartsWith(setting, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Validate_KestrelLimitThatDoesNotConvertOrIsRefused_IsListedWithItsSetting()
    {
        var errors = await ProblemsAsync(With(
            ("Kestrel:Limits:MaxResponseBufferSize", "abc"),
            ("Kestrel:Limits:MaxRequestBufferSize", "-1"),
            ("Kestrel:Limits:Http2:MaxStreamsPerConnection", "0"),
            ("Kestrel:Limits:KeepAliveTimeout", "00:00:30"),
            ("Tasks:Workers", "0")), production: false);

        Assert.Contains(errors, e => e.StartsWith("Kestrel:Limits:MaxResponseBufferSize: ", StringComparison.Ordinal) && e.Contains("'abc'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kestrel:Limits:MaxRequestBufferSize: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kestrel:Limits:Http2: ", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("Kestrel:Limits:KeepAliveTimeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Tasks:Workers", StringComparison.Ordinal));
        Assert.Empty(await ProblemsAsync(With(("Kestrel:Limits:MaxResponseBufferSize", "262144"), ("Kestrel:Limits:Http2:MaxStreamsPerConnection", "50")), production: false));
    }

    [Fact]
    public async Task Validate_DevelopmentCredentialInProduction_IsRefused()
    {
        var settings = With(("Credentials:1:SecretId", CredentialStore.DevelopmentSecretId), ("Credentials:1:SecretKey", "x"));

        Assert.Contains(await ProblemsAsync(settings, production: true), e => e.Contains("development credential", StringComparison.Ordinal));
        Assert.Empty(await ProblemsAsync(settings, production: false));
    }

    [Fact]
    public async Task Validate_SamePortForBothEndpoints_IsRefused() =>
        Assert.Contains(await ProblemsAsync(With(("Endpoints:Data", "http://127.0.0.1:9000"), ("Endpoints:Control", "http://127.0.0.1:9000")), production: false),
            e => e.Contains("different ports", StringComparison.Ordinal));

    [Fact]
    public async Task Validate_TaskVodAndOmsSettings()
    {
        var errors = await ProblemsAsync(With(
            ("Tasks:Workers", "0"),
            ("Tasks:Lease", "00:00:01"),
            ("Callbacks:MaxAttempts", "0"),
            ("Egress:AllowedPorts:0", "80"),
            ("Egress:AllowedPorts:1", "http"),
            ("Vod:Buckets:0", "missing-1250000000"),
            ("Vod:EventCallbackUrl", "ftp://x"),
            ("Oms:Tokens:p", "short"),
            ("Oms:MaxConcurrentPasses", "0")), production: false);

        foreach (var setting in new[] { "Tasks:Workers", "Tasks:Lease", "Callbacks:MaxAttempts", "Egress:AllowedPorts:1", "Vod:Buckets:0", "Vod:EventCallbackUrl", "Oms:Tokens:p", "Oms:MaxConcurrentPasses" })
        {
            Assert.Contains(errors, e => e.StartsWith(setting, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Validate_Production_RefusesTheDevelopmentTokenAndCallbackSecret()
    {
        var settings = With(("Oms:Tokens:dev-project", OriginGateway.Oms.OmsOptions.DevelopmentToken), ("Callbacks:Secret", OriginGateway.Callbacks.CallbackOptions.DevelopmentSecret));

        Assert.Empty(await ProblemsAsync(settings, production: false));
        var errors = await ProblemsAsync(settings, production: true);
        Assert.Contains(errors, e => e.StartsWith("Oms:Tokens:dev-project", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Callbacks:Secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_RefusesABucketHostThatIsAServiceHost_AndBadServiceHostsAndDurations()
    {
        var errors = await ProblemsAsync(With(
            ("Buckets:0:Hosts:0", "cos.ap-guangzhou.myqcloud.com"),
            ("ServiceHosts:0", "service.example.com:8080"),
            ("ServiceHosts:1", "*.*.example.com"),
            ("ServiceHosts:2", "cos.*.myqcloud.com"),
            ("S3Domains:0", "s3.example.test"),
            ("S3Domains:1", "http://s3.example.test"),
            ("S3Domains:2", "*.example.test"),
            ("Multipart:SweepInterval", "00:00:00"),
            ("Limits:SlowAnswerKeepAlive", "00:05:00")), production: false);

        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Hosts:0", StringComparison.Ordinal) && e.Contains("service host", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ServiceHosts:0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ServiceHosts:1", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("S3Domains:0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("S3Domains:1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("S3Domains:2", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Multipart:SweepInterval", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Limits:SlowAnswerKeepAlive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_HttpsEndpoints_KnownProxies_AndTheGracePeriod()
    {
        Assert.Empty(await ProblemsAsync(With(("Endpoints:Data", "https://0.0.0.0:8443"), ("Endpoints:Control", "https://127.0.0.1:8444")), production: true));

        var errors = await ProblemsAsync(With(
            ("Endpoints:Data", "ftp://0.0.0.0:21"),
            ("ForwardedHeaders:KnownProxies:0", "10.0.0.1"),
            ("ForwardedHeaders:KnownProxies:1", "not-an-address"),
            ("Shutdown:GracePeriod", "01:00:00")), production: false);

        Assert.Contains(errors, e => e.StartsWith("Endpoints:Data", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ForwardedHeaders:KnownProxies:1", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("ForwardedHeaders:KnownProxies:0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Shutdown:GracePeriod", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_S3Storage_NeedsEndpointBucketKeys_AndSeparatePrefixes()
    {
        var errors = await ProblemsAsync(With(
            ("Buckets:0:Storage:Kind", "S3"),
            ("Buckets:0:Storage:ServiceUrl", "s3.example"),
            ("Buckets:0:Storage:Prefix", "data/"),
            ("Buckets:0:Storage:UploadsPrefix", "data/uploads/"),
            ("Buckets:0:Storage:PartSize", "1024"),
            ("Buckets:0:Storage:CacheTtl", "-00:00:01"),
            ("Buckets:1:Name", "other-1250000000"),
            ("Buckets:1:Storage:Kind", "Tape")), production: false);

        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:ServiceUrl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:BucketName", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:AccessKey", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:Prefix", StringComparison.Ordinal) && e.Contains("overlap", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:PartSize", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:0:Storage:CacheTtl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Buckets:1:Storage:Kind 'Tape'", StringComparison.Ordinal));

        Assert.Empty(await ProblemsAsync(With(
            ("Buckets:0:Storage:Kind", "S3"),
            ("Buckets:0:Storage:ServiceUrl", "http://127.0.0.1:9000"),
            ("Buckets:0:Storage:BucketName", "objects"),
            ("Buckets:0:Storage:AccessKey", "ak"),
            ("Buckets:0:Storage:SecretKey", "sk")), production: false));
    }

    [Fact]
    public async Task Validate_ADatabaseConnectionStringTheDriverRefuses_IsListed_WithoutItsPassword()
    {
        // Before, each of these stopped the start with an unhandled exception and its stack trace.
        foreach (var (provider, connectionString, says) in new[]
        {
            ("Postgres", "Host=db;Username=og;Password=hunter2;Databse=og", "databse"),
            ("Postgres", "Host=db;Port=abc;Password=hunter2", "port"),
            ("Postgres", "Host=db;Password=hunter2;Target Session Attributes=primary", "multiple hosts"),
            ("Sqlite", "Data Sorce=/tmp/x.db", "data sorce"),
        })
        {
            var errors = await ProblemsAsync(With(("Database:Provider", provider), ("Database:ConnectionString", connectionString)), production: false);
            var problem = Assert.Single(errors);
            Assert.StartsWith("Database:ConnectionString", problem, StringComparison.Ordinal);
            Assert.Contains(says, problem, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("hunter2", problem, StringComparison.Ordinal);
        }
        Assert.Empty(await ProblemsAsync(With(("Database:Provider", "Postgres"), ("Database:ConnectionString", "Host=pg1,pg2;Username=og;Password=hunter2;Database=og;Target Session Attributes=primary")), production: false));
    }

    [Fact]
    public void Postgres_SeveralHosts_MeanThePrimaryAmongThem_RecheckedEverySecond_UnlessTheStringSaysOtherwise()
    {
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(OriginGateway.Persistence.PostgresDataSource.Settings("Host=pg1,pg2;Username=og;Database=og", TimeSpan.FromSeconds(5)));
        Assert.Equal(("primary", 1, 5, 5), (settings.TargetSessionAttributes, settings.HostRecheckSeconds, settings.Timeout, settings.CommandTimeout));
        settings = new Npgsql.NpgsqlConnectionStringBuilder(OriginGateway.Persistence.PostgresDataSource.Settings("Host=pg1,pg2;Username=og;Database=og;target session attributes=prefer-standby;HostRecheckSeconds=30", TimeSpan.FromSeconds(5)));
        Assert.Equal(("prefer-standby", 30), (settings.TargetSessionAttributes, settings.HostRecheckSeconds));
        settings = new Npgsql.NpgsqlConnectionStringBuilder(OriginGateway.Persistence.PostgresDataSource.Settings("Host=pg1;Username=og;Database=og", TimeSpan.FromSeconds(5)));
        Assert.Equal((null, 10), (settings.TargetSessionAttributes, settings.HostRecheckSeconds));
    }

    [Fact]
    public async Task Validate_RedisCoordination_NeedsAConfiguration_AndSaneTimings()
    {
        var errors = await ProblemsAsync(With(("Coordination:Provider", "Redis"), ("Coordination:FillLockTtl", "00:00:00.010"), ("Coordination:BreakerFailures", "0")), production: false);

        Assert.Contains(errors, e => e.StartsWith("Coordination:Redis", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Coordination:FillLockTtl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Coordination:BreakerFailures", StringComparison.Ordinal));
        Assert.Contains(await ProblemsAsync(With(("Coordination:Provider", "Zookeeper")), production: false), e => e.StartsWith("Coordination:Provider", StringComparison.Ordinal));
        Assert.Empty(await ProblemsAsync(With(("Coordination:Provider", "Redis"), ("Coordination:Redis", "127.0.0.1:6379,password=secret")), production: false));
    }

    [Fact]
    public async Task Coordination_AConnectionStringAlone_TurnsRedisOn_AndAContradictingProviderStopsTheStart()
    {
        Assert.Empty(await ProblemsAsync(With(("Coordination:Redis", "127.0.0.1:6379,user=gateway,password=secret")), production: false));
        Assert.True(new CoordinationOptions { Redis = "127.0.0.1:6379" }.UsesRedis);
        Assert.False(new CoordinationOptions().UsesRedis);

        Assert.Contains(await ProblemsAsync(With(("Coordination:Provider", "Local"), ("Coordination:Redis", "127.0.0.1:6379")), production: false),
            e => e.StartsWith("Coordination:Provider is Local but Coordination:Redis is set", StringComparison.Ordinal));
        Assert.Contains(await ProblemsAsync(With(("Coordination:Provider", "Redis")), production: false),
            e => e.StartsWith("Coordination:Redis is not set although Coordination:Provider is Redis", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Coordination_TlsFiles_MustExist_AndAClientCertificateNeedsItsKey()
    {
        var existing = Path.GetTempFileName();
        try
        {
            Assert.Empty(await ProblemsAsync(With(("Coordination:Redis", "127.0.0.1:6380,ssl=true"), ("Coordination:TlsCaCertificate", existing),
                ("Coordination:TlsClientCertificate", existing), ("Coordination:TlsClientKey", existing)), production: false));

            var errors = await ProblemsAsync(With(("Coordination:Redis", "127.0.0.1:6380,ssl=true"), ("Coordination:TlsCaCertificate", existing + ".missing"),
                ("Coordination:TlsClientCertificate", existing)), production: false);
            Assert.Contains(errors, e => e.StartsWith("Coordination:TlsCaCertificate names", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.StartsWith("Coordination:TlsClientCertificate and Coordination:TlsClientKey go together", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(existing);
        }
    }
}
