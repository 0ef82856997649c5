namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A Development gateway for task tests: fast retries and callbacks, egress narrowed to
/// 127.0.0.1/32 (so 127.0.0.2 plays the forbidden internal host), a WireMock.Net origin that also
/// receives callbacks, an origin for slow bodies, and a private bucket with a limited credential.
/// </summary>
public sealed class TaskFixture : IAsyncLifetime
{
    public const string DevCallbackSecret = "origin-gateway-development-callback-secret";
    public const string PrivateBucket = "private-1250000000";
    public const string LimitedSecretId = "AKIDLIMITED";
    public const string LimitedSecretKey = "limited-secret";

    public GatewayProcess Gateway { get; private set; } = null!;

    public WireMockOrigin Origin { get; private set; } = null!;

    public SlowOrigin Slow { get; private set; } = null!;

    public FetchTaskClient Tasks { get; private set; } = null!;

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        Origin = _servers.Add(WireMockOrigin.Start());
        Slow = await _servers.AddAsync(SlowOrigin.StartAsync());
        Gateway = await _servers.AddAsync(GatewayProcess.StartAsync(
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            "--Tasks:RetryBase=00:00:00.05",
            "--Tasks:RetryCap=00:00:00.2",
            "--Tasks:PollInterval=00:00:00.05",
            "--Callbacks:RetryBase=00:00:00.05",
            "--Callbacks:RetryCap=00:00:00.2",
            "--OriginPull:BodyIdleTimeout=00:00:05",
            $"--Buckets:1:Name={PrivateBucket}",
            $"--Credentials:1:SecretId={LimitedSecretId}",
            $"--Credentials:1:SecretKey={LimitedSecretKey}",
            $"--Credentials:1:Buckets:0={PrivateBucket}",
        ]));
        Tasks = new FetchTaskClient(Gateway);
    });

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    /// <summary>A scheme-less origin URL, as in the COS seed's own sample.</summary>
    public string OriginUrl(string path) => $"{Origin.Host}{path}";
}
