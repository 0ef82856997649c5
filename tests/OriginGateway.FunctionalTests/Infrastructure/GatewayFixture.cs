namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// One Development gateway shared by a test class: the default public-read bucket, a private
/// bucket reached by virtual host, and a credential limited to the private bucket.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string PrivateBucket = "private-1250000000";
    public const string PrivateHost = "private-1250000000.cos.ap-guangzhou.myqcloud.com";
    public const string LimitedSecretId = "AKIDLIMITED";
    public const string LimitedSecretKey = "limited-secret";

    public GatewayProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Gateway = await GatewayProcess.StartAsync(
        [
            $"--Buckets:1:Name={PrivateBucket}",
            $"--Buckets:1:Hosts:0={PrivateHost}",
            "--Buckets:1:Region=ap-guangzhou",
            $"--Credentials:1:SecretId={LimitedSecretId}",
            $"--Credentials:1:SecretKey={LimitedSecretKey}",
            $"--Credentials:1:Buckets:0={PrivateBucket}",
            "--Limits:MaxPutSize=1048576",
        ]);
    }

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}
