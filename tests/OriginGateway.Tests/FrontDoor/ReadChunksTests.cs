using OriginGateway.FrontDoor;

namespace OriginGateway.Tests.FrontDoor;

public sealed class ReadChunksTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ReadChunks.Small)]
    public void BodiesUpToOneSmallChunk_AreSentInSmallChunks_AndTakeNoPlaceInTheBudget(long length)
    {
        var chunks = new ReadChunks(maxLargeReaders: 1);

        using var lease = chunks.Take(length);

        Assert.Equal(ReadChunks.Small, lease.Size);
        Assert.Equal(0, chunks.LargeReaders);
    }

    [Fact]
    public void LongerBodies_AreSentInLargeChunks_UpToTheBudget_ThenInSmallOnes()
    {
        var chunks = new ReadChunks(maxLargeReaders: 2);

        using var first = chunks.Take(ReadChunks.Small + 1);
        using var second = chunks.Take(1024 * 1024);
        using var third = chunks.Take(1024 * 1024);

        Assert.Equal(ReadChunks.Large, first.Size);
        Assert.Equal(ReadChunks.Large, second.Size);
        Assert.Equal(ReadChunks.Small, third.Size);
        Assert.Equal(2, chunks.LargeReaders);
    }

    [Fact]
    public void ALargeLeaseDisposedTwice_GivesItsPlaceBackOnce()
    {
        var chunks = new ReadChunks(maxLargeReaders: 2);
        var held = chunks.Take(1024 * 1024);
        var done = chunks.Take(1024 * 1024);

        done.Dispose();
        done.Dispose();

        Assert.Equal(1, chunks.LargeReaders);
        using var next = chunks.Take(1024 * 1024);
        using var beyond = chunks.Take(1024 * 1024);
        Assert.Equal(ReadChunks.Large, next.Size);
        Assert.Equal(ReadChunks.Small, beyond.Size);
        held.Dispose();
    }

    [Fact]
    public async Task ManyResponsesAtOnce_NeverHoldMoreLargeLeasesThanTheBudget_AndGiveThemAllBack()
    {
        var chunks = new ReadChunks(maxLargeReaders: 4);
        var largest = 0;
        var large = 0;

        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                using var lease = chunks.Take(1024 * 1024);
                if (lease.Size == ReadChunks.Large)
                {
                    var now = Interlocked.Increment(ref large);
                    InterlockedMax(ref largest, now);
                    await Task.Yield();
                    Interlocked.Decrement(ref large);
                }
            }
        })));

        Assert.InRange(largest, 1, 4);
        Assert.Equal(0, chunks.LargeReaders);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }
            seen = previous;
        }
    }
}
