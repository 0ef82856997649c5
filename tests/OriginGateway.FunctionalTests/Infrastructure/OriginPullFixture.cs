using System.Net;
using System.Text;
using OriginGateway.Rules;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A Development gateway whose default bucket has one rule per test area (by key prefix),
/// pointing at two WireMock.Net origins (A, B), an origin for slow and stalled bodies and a raw-socket origin. Egress is narrowed to
/// 127.0.0.1/32, so 127.0.0.2 and ::1 play the forbidden internal host.
/// </summary>
public sealed class OriginPullFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public WireMockOrigin A { get; private set; } = null!;

    public WireMockOrigin B { get; private set; } = null!;

    /// <summary>Plays the origin of rule 18 (<c>slow/</c>, Mirror): bodies sent slowly or held back.</summary>
    public SlowOrigin Slow { get; private set; } = null!;

    public RawOrigin Raw { get; } = new();

    private readonly StartedServers _servers = new();

    public Task InitializeAsync() => _servers.StartAsync(async () =>
    {
        _servers.Add(Raw);
        A = _servers.Add(WireMockOrigin.Start());
        B = _servers.Add(WireMockOrigin.Start());
        Slow = await _servers.AddAsync(SlowOrigin.StartAsync());
        Gateway = await _servers.AddAsync(GatewayProcess.StartAsync(
        [
            "--Egress:AllowedNetworks:0=127.0.0.1/32",
            "--OriginPull:NegativeCacheTtl=00:01:00",
            "--OriginPull:BodyIdleTimeout=00:00:02",
            "--OriginPull:ResponseHeadersTimeout=00:00:05",
            "--OriginPull:ConnectTimeout=00:00:02",
        ]));
        var rules = Rules(
            Rule(1, "Mirror", "m/", A.Host),
            Rule(2, "Mirror", "fo/", A.Host, standbys: [B.Host]),
            Rule(3, "Mirror", "fo4/", A.Host, standbys: [B.Host], extra: "<HTTPStandbyCode><StatusCode>404</StatusCode></HTTPStandbyCode>"),
            Rule(4, "Mirror", "te/", A.Host, parameter: "<TransparentErrorCode>true</TransparentErrorCode>"),
            Rule(5, "Mirror", "nf/", A.Host, parameter: "<FollowRedirection>false</FollowRedirection>"),
            Rule(6, "Mirror", "raw/", Raw.Host),
            Rule(7, "Redirect", "r/", A.Host, status: "404"),
            Rule(8, "Redirect", "r301/", "cdn.example.com", status: "404", parameter: "<Protocol>HTTPS</Protocol><HttpRedirectCode>301</HttpRedirectCode>"),
            Rule(9, "Proxy", "p/", A.Host),
            Rule(10, "Proxy", "pp/", A.Host, parameter: "<CopyOriginData>false</CopyOriginData>"),
            Rule(11, "Proxy", "pr/", A.Host, parameter: "<HttpRedirectCode>307</HttpRedirectCode>"),
            Rule(12, "Mirror", "self/", $"127.0.0.1:{Gateway.ControlUrl.Port}"),
            Rule(13, "Mirror", "dead/", "127.0.0.1:1"),
            Rule(14, "Mirror", "hdr/", A.Host, parameter: """
                <HttpHeader><FollowHttpHeaders><Header><Key>Referer</Key></Header></FollowHttpHeaders>
                <NewHttpHeaders><Header><Key>x-cos-ContentType</Key><Value>csv</Value></Header></NewHttpHeaders></HttpHeader>
                """),
            Rule(15, "Mirror", "pre/", A.Host, fileInfo: "<FileInfo><PrefixConfiguration><Prefix>origin-files/</Prefix></PrefixConfiguration><SuffixConfiguration><Suffix>.bin</Suffix></SuffixConfiguration></FileInfo>"),
            Rule(16, "Proxy", "rawp/", Raw.Host),
            Rule(17, "Mirror", "f301/", A.Host, parameter: "<FollowRedirection>true</FollowRedirection><HttpRedirectCode>301</HttpRedirectCode>"),
            Rule(18, "Mirror", "slow/", Slow.Host),
            Rule(19, "Proxy", "slowp/", Slow.Host),
            Rule(20, "Proxy", "deadp/", "127.0.0.1:1"),
            Rule(21, "Proxy", "selfp/", $"127.0.0.1:{Gateway.ControlUrl.Port}"),
            Rule(22, "Proxy", "pfo/", A.Host, standbys: [B.Host]),
            Rule(23, "Proxy", "pfo4/", A.Host, standbys: [B.Host], extra: "<HTTPStandbyCode><StatusCode>404</StatusCode></HTTPStandbyCode>"),
            Rule(24, "Proxy", "pfodead/", "127.0.0.1:1", standbys: [B.Host]));
        var put = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, "?origin")) { Content = new StringContent(rules) }.Sign());
        if (put.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("rules refused: " + await put.Content.ReadAsStringAsync());
        }
    });

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    public Uri Url(string pathAndQuery) => new(Gateway.DataUrl, pathAndQuery);

    public async Task<HttpStatusCode> HeadStatusAsync(string key) =>
        (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(key)))).StatusCode;

    /// <summary>Waits (up to 10 s) until a background fill has stored the key.</summary>
    public async Task WaitForHitAsync(string key)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await HeadStatusAsync(key) == HttpStatusCode.OK)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"{key} was never stored");
    }

    public static string Rules(params string[] rules) => "<OriginConfiguration>" + string.Concat(rules) + "</OriginConfiguration>";

    public static string Rule(int priority, string type, string prefix, string host, string[]? standbys = null, string parameter = "", string extra = "", string fileInfo = "", string status = "404")
    {
        var standbyXml = new StringBuilder();
        for (var i = 0; i < (standbys?.Length ?? 0); i++)
        {
            standbyXml.Append($"<StandbyHostName_{i + 1}>{standbys![i]}</StandbyHostName_{i + 1}>");
        }
        return $"<OriginRule><RulePriority>{priority}</RulePriority><OriginType>{type}</OriginType>"
            + $"<OriginCondition><HTTPStatusCode>{status}</HTTPStatusCode><Prefix>{prefix}</Prefix></OriginCondition>"
            + $"<OriginParameter>{(parameter.Contains("<Protocol>", StringComparison.Ordinal) ? "" : "<Protocol>HTTP</Protocol>")}{parameter}</OriginParameter>"
            + extra
            + $"<OriginInfo><HostInfo><HostName>{host}</HostName>{standbyXml}</HostInfo>{fileInfo}</OriginInfo></OriginRule>";
    }
}
