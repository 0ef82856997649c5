using OriginGateway.Origins;

namespace OriginGateway.Tests.Origins;

/// <summary>
/// The origin connections under the origin clocks for clients of their own (<see cref="ClockedDocumentHandler"/>: a sync
/// source's S3 client): headers within the headers timeout, every body read within the idle timeout, the body handed on whole.
/// </summary>
public sealed class ClockedDocumentHandlerTests
{
    private static readonly OriginPullOptions Clocks = new()
    {
        ResponseHeadersTimeout = TimeSpan.FromMilliseconds(300),
        BodyIdleTimeout = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>An origin that answers as <paramref name="answer"/> says, through the handler under test.</summary>
    private static HttpClient Client(Func<CancellationToken, Task<HttpResponseMessage>> answer, OriginPullOptions? clocks = null) =>
        new(new ClockedDocumentHandler(new Origin(answer), clocks ?? Clocks));

    private sealed class Origin(Func<CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(cancellationToken);
    }

    [Fact]
    public async Task ABodyWhosePiecesEachComeWithinTheIdleTimeout_IsHandedOnWhole_WithItsHeaders()
    {
        // Five pieces 150 ms apart: 750 ms in all, longer than the idle timeout of 300 ms.
        using var client = Client(_ =>
        {
            var answer = OriginDocumentReadTests.Answer("end", TimeSpan.FromMilliseconds(150), "<a>", "<b/>", "<c/>", "<d/>", "</a>");
            answer.Content.Headers.TryAddWithoutValidation("Content-Type", "application/xml");
            answer.Headers.TryAddWithoutValidation("x-amz-request-id", "r1");
            return Task.FromResult(answer);
        });

        using var response = await client.GetAsync(new Uri("http://source.test/bucket?list-type=2"), HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal("<a><b/><c/><d/></a>", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("r1", response.Headers.GetValues("x-amz-request-id").Single());
    }

    [Fact]
    public async Task ABodyThatStallsPartWay_FailsAsOriginTimeout()
    {
        using var client = Client(_ => Task.FromResult(OriginDocumentReadTests.Answer("stall", TimeSpan.Zero, "<ListBucketResult>")));

        var failure = await Assert.ThrowsAsync<TimeoutException>(() => client.GetAsync(new Uri("http://source.test/bucket")));

        Assert.Equal("OriginTimeout: nothing arrived from the source for 0.3 s", failure.Message);
    }

    [Fact]
    public async Task HeadersThatNeverCome_FailAsOriginTimeout()
    {
        using var client = Client(async cancellationToken =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        });

        var failure = await Assert.ThrowsAsync<TimeoutException>(() => client.GetAsync(new Uri("http://source.test/bucket")));

        Assert.Equal("OriginTimeout: no answer arrived from the source for 0.3 s", failure.Message);
    }

    [Fact]
    public async Task ABodyThatBreaks_FailsAsTheBreak()
    {
        using var client = Client(_ => Task.FromResult(OriginDocumentReadTests.Answer("break", TimeSpan.Zero, "<ListBucketResult>")));

        await Assert.ThrowsAsync<IOException>(() => client.GetAsync(new Uri("http://source.test/bucket")));
    }

    [Fact]
    public async Task ABodyLargerThanTheLimit_IsRefused()
    {
        using var client = Client(_ => Task.FromResult(new HttpResponseMessage { Content = new ByteArrayContent(new byte[ClockedDocumentHandler.MaxAnswerBytes + 1]) }));

        await Assert.ThrowsAsync<InvalidDataException>(() => client.GetAsync(new Uri("http://source.test/bucket")));
    }

    [Fact]
    public async Task TheCallersOwnCancellation_IsNotTheOrigins_AndPropagates()
    {
        using var client = Client(_ => Task.FromResult(OriginDocumentReadTests.Answer("stall", TimeSpan.Zero, "<ListBucketResult>")),
            new OriginPullOptions { BodyIdleTimeout = TimeSpan.FromSeconds(30) });
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        var failure = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync(new Uri("http://source.test/bucket"), caller.Token));

        Assert.IsNotType<TimeoutException>(failure.InnerException);
    }
}
