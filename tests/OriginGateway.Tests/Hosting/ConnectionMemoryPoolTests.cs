using System.Runtime.InteropServices;
using OriginGateway.Hosting;

namespace OriginGateway.Tests.Hosting;

public sealed class ConnectionMemoryPoolTests
{
    [Fact]
    public void Rent_GivesABlockOfTheBlockSize_AndAReturnedBlockIsHandedOutAgain()
    {
        using var pool = new ConnectionMemoryPool();
        var first = pool.Rent(2048);
        Assert.Equal(ConnectionMemoryPool.BlockSize, first.Memory.Length);
        Assert.True(MemoryMarshal.TryGetArray<byte>(first.Memory, out var segment));

        first.Dispose();
        using var second = pool.Rent();

        Assert.True(MemoryMarshal.TryGetArray<byte>(second.Memory, out var again));
        Assert.Same(segment.Array, again.Array);
    }

    [Fact]
    public void ALeaseDisposedTwice_IsReturnedOnce_SoTwoRentersNeverShareABlock()
    {
        using var pool = new ConnectionMemoryPool();
        var lease = pool.Rent();
        lease.Dispose();
        lease.Dispose();

        using var a = pool.Rent();
        using var b = pool.Rent();

        Assert.False(MemoryMarshal.TryGetArray<byte>(a.Memory, out var x) && MemoryMarshal.TryGetArray<byte>(b.Memory, out var y) && ReferenceEquals(x.Array, y.Array));
    }

    [Fact]
    public void ManyRentersAtOnce_EachWriteOnlyTheirOwnBlock()
    {
        using var pool = new ConnectionMemoryPool();
        var failures = 0;
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using var lease = pool.Rent();
            var span = lease.Memory.Span;
            span[..64].Fill((byte)i);
            Thread.SpinWait(50);
            if (span[..64].ContainsAnyExcept((byte)i))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void ABlockLargerThanTheBlockSize_IsRefused()
    {
        using var pool = new ConnectionMemoryPool();
        Assert.Equal(ConnectionMemoryPool.BlockSize, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(ConnectionMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void AtMostMaxFreeBlocksWaitForReuse()
    {
        using var pool = new ConnectionMemoryPool();
        var leases = Enumerable.Range(0, ConnectionMemoryPool.MaxFreeBlocks + 10).Select(_ => pool.Rent()).ToList();
        var arrays = leases.Select(l => MemoryMarshal.TryGetArray<byte>(l.Memory, out var s) ? s.Array! : throw new InvalidOperationException()).ToHashSet(ReferenceEqualityComparer.Instance);
        leases.ForEach(l => l.Dispose());

        var reused = Enumerable.Range(0, ConnectionMemoryPool.MaxFreeBlocks + 10).Select(_ => pool.Rent()).Count(l => MemoryMarshal.TryGetArray<byte>(l.Memory, out var s) && arrays.Contains(s.Array!));

        Assert.Equal(ConnectionMemoryPool.MaxFreeBlocks, reused);
    }
}
