namespace OriginGateway.FrontDoor;

/// <summary>
/// How much of a stored body a hit reads and hands to its connection at a time. A body longer than <see cref="Small"/>
/// goes out <see cref="Large"/> bytes at a time: a quarter of the reads, flushes and sends per byte, and of the waits for
/// the socket that follow each flush of a chunk as large as the response buffer (bench/README.md, "A 1 MiB hit's reads
/// and sends": 13–20 % less CPU per 1 MiB hit). A response in flight holds about two of its chunks (the one its connection
/// is sending and the next one read), so at most <see cref="MaxLargeReaders"/> responses use large chunks at once and the
/// others <see cref="Small"/> ones: what large chunks add to the process's memory stays a few MiB however many clients
/// download at once.
/// </summary>
internal sealed class ReadChunks(int maxLargeReaders)
{
    public const int Small = 64 * 1024;

    public const int Large = 256 * 1024;

    public const int DefaultMaxLargeReaders = 16;

    /// <summary>The process's budget, shared by every bucket.</summary>
    public static ReadChunks Shared { get; } = new(DefaultMaxLargeReaders);

    private static readonly Lease SmallLease = new(null, Small);

    private int _largeReaders;

    public int MaxLargeReaders => maxLargeReaders;

    /// <summary>Responses holding a large chunk lease now.</summary>
    public int LargeReaders => Volatile.Read(ref _largeReaders);

    /// <summary>The chunk size for sending <paramref name="length"/> bytes; the lease is disposed once they are sent.</summary>
    public Lease Take(long length)
    {
        if (length > Small)
        {
            if (Interlocked.Increment(ref _largeReaders) <= maxLargeReaders)
            {
                return new Lease(this, Large);
            }
            Interlocked.Decrement(ref _largeReaders);
        }
        return SmallLease;
    }

    /// <summary>A chunk size; a large one's place in the budget is given back once, however often it is disposed.</summary>
    public sealed class Lease : IDisposable
    {
        private ReadChunks? _owner;

        internal Lease(ReadChunks? owner, int size)
        {
            _owner = owner;
            Size = size;
        }

        public int Size { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _owner, null) is { } owner)
            {
                Interlocked.Decrement(ref owner._largeReaders);
            }
        }
    }
}
