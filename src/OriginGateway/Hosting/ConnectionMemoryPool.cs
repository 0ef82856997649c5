using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace OriginGateway.Hosting;

/// <summary>
/// The memory Kestrel's connections read and write through, in blocks of <see cref="BlockSize"/> bytes instead of the
/// framework's 4 KiB. Kestrel receives into one block per system call, so an uploaded body cost a <c>recv</c> per 4 KiB —
/// 256 per MiB, on a machine where a system call is dear (bench/README.md, "Request bodies 4 KiB per system call").
/// Blocks are pinned (the socket engine hands them to the kernel), handed out again once returned, and at most
/// <see cref="MaxFreeBlocks"/> wait unused; beyond that a returned block is left to the collector.
/// </summary>
internal sealed class ConnectionMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new ConnectionMemoryPool();
}

/// <inheritdoc cref="ConnectionMemoryPoolFactory"/>
internal sealed class ConnectionMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 32 * 1024;

    /// <summary>Free blocks kept for reuse (32 MiB of them).</summary>
    public const int MaxFreeBlocks = 1024;

    private readonly ConcurrentStack<Block> _free = new();
    private int _freeCount;
    private bool _disposed;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.TryPop(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
        }
        else
        {
            block = new Block(this, GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true));
        }
        block.Lease();
        return block;
    }

    private void Return(Block block)
    {
        if (Volatile.Read(ref _disposed) || Interlocked.Increment(ref _freeCount) > MaxFreeBlocks)
        {
            Interlocked.Decrement(ref _freeCount);
            return;
        }
        _free.Push(block);
    }

    protected override void Dispose(bool disposing)
    {
        Volatile.Write(ref _disposed, true);
        _free.Clear();
    }

    /// <summary>One block; returned to its pool once per lease, however often the lease is disposed.</summary>
    private sealed class Block(ConnectionMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private int _leased;

        public Memory<byte> Memory => array;

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }
}
