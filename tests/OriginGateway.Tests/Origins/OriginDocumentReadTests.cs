using System.IO.Pipelines;
using System.Text;
using OriginGateway.Origins;

namespace OriginGateway.Tests.Origins;

/// <summary>
/// A small origin document read whole (<see cref="OriginBodyCopy.ReadDocumentAsync"/>: an HLS playlist, a sync task's URL
/// list): bounded in size, every read bounded by the idle timeout, a failure named as for any origin body.
/// </summary>
public sealed class OriginDocumentReadTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// An answer whose body arrives in pieces, each after a wait; then stalls, breaks or ends. The pieces are written by a
    /// thread of their own and read inline on it, so a thread pool busy with other tests cannot make a gap longer.
    /// </summary>
    internal static HttpResponseMessage Answer(string after, TimeSpan gap, params string[] pieces)
    {
        var pipe = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        new Thread(() =>
        {
            foreach (var piece in pieces)
            {
                Thread.Sleep(gap);
                pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(piece)).AsTask().GetAwaiter().GetResult();
            }
            switch (after)
            {
                case "break":
                    pipe.Writer.Complete(new IOException("The connection was reset."));
                    break;
                case "end":
                    pipe.Writer.Complete();
                    break;
            }
        }) { IsBackground = true }.Start();
        return new() { Content = new StreamContent(pipe.Reader.AsStream()) };
    }

    [Fact]
    public async Task ABodyWhosePiecesEachComeWithinTheIdleTimeout_IsReadWhole_ThoughTheWholeTakesLonger()
    {
        // Six pieces 400 ms apart: 2.4 s in all, longer than the idle timeout of 2 s — the clock restarts for every read.
        using var response = Answer("end", TimeSpan.FromMilliseconds(400), "#EXTM3U\n", "a.ts\n", "b.ts\n", "c.ts\n", "d.ts\n", "#EXT-X-ENDLIST\n");

        var (body, failure) = await OriginBodyCopy.ReadDocumentAsync(response, 1024, TimeSpan.FromSeconds(2), CancellationToken.None);

        Assert.Equal("", failure);
        Assert.Equal("#EXTM3U\na.ts\nb.ts\nc.ts\nd.ts\n#EXT-X-ENDLIST\n", Encoding.ASCII.GetString(body!));
    }

    [Theory]
    [InlineData("stall", "OriginTimeout")]
    [InlineData("break", "Truncated")]
    public async Task ABodyThatStallsOrBreaksPartWay_IsNamedAsAnyOriginBodyIs(string after, string expected)
    {
        using var response = Answer(after, TimeSpan.Zero, "#EXTM3U\n");

        var (body, failure) = await OriginBodyCopy.ReadDocumentAsync(response, 1024, Idle, CancellationToken.None);

        Assert.Null(body);
        Assert.Equal(expected, failure);
    }

    [Fact]
    public async Task ABodyLongerThanTheLimit_IsNull_WithoutAFailure()
    {
        using var response = Answer("end", TimeSpan.Zero, "0123456789", "0123456789");

        var (body, failure) = await OriginBodyCopy.ReadDocumentAsync(response, 15, Idle, CancellationToken.None);

        Assert.Null(body);
        Assert.Equal("", failure);
    }

    [Fact]
    public async Task TheCallersOwnCancellation_IsNotTheOrigins_AndPropagates()
    {
        using var response = Answer("stall", TimeSpan.Zero, "#EXTM3U\n");
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => OriginBodyCopy.ReadDocumentAsync(response, 1024, TimeSpan.FromSeconds(30), caller.Token));
    }
}
