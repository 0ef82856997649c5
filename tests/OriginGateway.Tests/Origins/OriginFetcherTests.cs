using System.Net;
using System.Text;
using OriginGateway.Origins;

namespace OriginGateway.Tests.Origins;

/// <summary>The one origin fetcher over an in-memory origin: host order, failover, standby codes, redirects.</summary>
public sealed class OriginFetcherTests
{
    private static OriginFetchRequest Request(params string[] hosts) =>
        new("http", "/a/b.txt?x=1", [], hosts, FollowRedirects: true, StandbyStatusCodes: new HashSet<int>());

    [Fact]
    public async Task TheFirstHostThatAnswers_Wins_InTheRuleOrder()
    {
        var origin = new InMemoryOrigin((_, _) => Task.FromResult(InMemoryOrigin.Body("hello"u8.ToArray())));

        using var result = await origin.Fetcher().FetchAsync(Request("primary.example", "standby.example"), CancellationToken.None);

        Assert.Equal(OriginOutcome.Success, result.Outcome);
        Assert.Equal("primary.example", result.Host);
        Assert.Equal(["http://primary.example/a/b.txt?x=1"], origin.Requests.Select(u => u.ToString()));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task A5xx_FailsOverToTheNextHost(int status)
    {
        var origin = new InMemoryOrigin((request, _) => Task.FromResult(request.RequestUri!.Host == "primary.example"
            ? new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent("busy") }
            : InMemoryOrigin.Body("from standby"u8.ToArray())));

        using var result = await origin.Fetcher().FetchAsync(Request("primary.example", "standby.example"), CancellationToken.None);

        Assert.Equal(OriginOutcome.Success, result.Outcome);
        Assert.Equal("standby.example", result.Host);
        Assert.Equal("from standby", await result.Response!.Content.ReadAsStringAsync());
        Assert.Equal(1, origin.Count("primary.example"));
    }

    [Fact]
    public async Task AConnectionError_FailsOver_AndEveryHostFailing_IsAFailure()
    {
        var origin = new InMemoryOrigin((request, _) => request.RequestUri!.Host == "down.example"
            ? throw new HttpRequestException("connection refused")
            : Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("bad") }));

        using var result = await origin.Fetcher().FetchAsync(Request("down.example", "broken.example"), CancellationToken.None);

        Assert.Equal(OriginOutcome.Failed, result.Outcome);
        Assert.Equal(502, result.Status);
        Assert.Equal(["down.example", "broken.example"], origin.Requests.Select(u => u.Host));
    }

    [Fact]
    public async Task A404_IsNotFound_UnlessItIsAStandbyCode()
    {
        var origin = new InMemoryOrigin((request, _) => Task.FromResult(request.RequestUri!.Host == "primary.example"
            ? new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("no") }
            : InMemoryOrigin.Body("standby has it"u8.ToArray())));
        var fetcher = origin.Fetcher();

        using var plain = await fetcher.FetchAsync(Request("primary.example"), CancellationToken.None);
        using var standby = await fetcher.FetchAsync(Request("primary.example", "standby.example") with { StandbyStatusCodes = new HashSet<int> { 404 } }, CancellationToken.None);

        Assert.Equal(OriginOutcome.NotFound, plain.Outcome);
        Assert.Equal(OriginOutcome.Success, standby.Outcome);
        Assert.Equal("standby.example", standby.Host);
    }

    [Fact]
    public async Task Redirects_AreFollowedByTheFetcher_UpToTheLimit()
    {
        var origin = new InMemoryOrigin((request, _) =>
        {
            var path = request.RequestUri!.AbsolutePath;
            var hop = path.StartsWith("/hop", StringComparison.Ordinal) ? int.Parse(path[4..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            return Task.FromResult(path == "/hop3"
                ? InMemoryOrigin.Body(Encoding.UTF8.GetBytes("arrived"))
                : new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = new Uri($"/hop{hop + 1}", UriKind.Relative) } });
        });

        using var followed = await origin.Fetcher(new OriginPullOptions { MaxRedirects = 5 }).FetchAsync(Request("primary.example"), CancellationToken.None);
        using var capped = await origin.Fetcher(new OriginPullOptions { MaxRedirects = 1 }).FetchAsync(Request("primary.example"), CancellationToken.None);

        Assert.Equal(OriginOutcome.Success, followed.Outcome);
        Assert.Equal("http://primary.example/hop3", followed.Url!.ToString());
        Assert.Equal(OriginOutcome.Failed, capped.Outcome);
        Assert.Equal("TooManyRedirects", capped.Reason);
    }
}
