using OriginGateway.Storage;

namespace OriginGateway.OriginPull;

internal enum FillState
{
    Running,
    /// <summary>Whole, verified and committed.</summary>
    Committed,
    /// <summary>Whole, but not stored (larger than OriginPull:MaxObjectSize).</summary>
    Completed,
    /// <summary>Not whole: clients still receiving are aborted.</summary>
    Failed,
}

/// <summary>
/// One origin fetch of one key, shared by every client that misses it while it runs. The body goes
/// into a staging copy; clients read that copy at their own pace through <see cref="Reader"/>,
/// waiting on <see cref="WaitAsync"/> for more. The last byte is published only after the commit,
/// so a client that has read everything finds a hit on its next GET.
/// </summary>
internal sealed class Fill(string bucket, string key)
{
    private readonly TaskCompletionSource<FillStart> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _published;
    private long? _length;
    private volatile FillState _state;
    private readonly SharedReader _reader = new();

    public string Bucket { get; } = bucket;

    public string Key { get; } = key;

    public Task<FillStart> Started => _started.Task;

    public FillState State => _state;

    /// <summary>Bytes clients may read now.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>Why the fill failed, when it did.</summary>
    public string FailureReason { get; private set; } = "";

    /// <summary>A small body kept whole in memory (read and committed before the clients woke), or null: they read the staging copy.</summary>
    public ReadOnlyMemory<byte>? Body { get; private set; }

    /// <summary>
    /// Called by the pump once the origin's headers are in (clients follow <paramref name="staging"/>), or once a small
    /// <paramref name="body"/> is whole and committed (every byte is published at once), or without either when there is no body.
    /// </summary>
    public void Start(FillStart start, FileObjectReader? staging = null, ReadOnlyMemory<byte>? body = null)
    {
        if (staging is not null)
        {
            _reader.Set(staging);
        }
        _length = start.ContentLength;
        if (body is { } whole)
        {
            Body = whole;
            Volatile.Write(ref _published, whole.Length);
        }
        _started.TrySetResult(start);
    }

    /// <summary>Called by the pump after each chunk: <paramref name="written"/> bytes are in the staging copy.</summary>
    public void Progress(long written)
    {
        // Hold back the last byte of a body of known length until the commit.
        var publish = _length is { } length && written >= length ? length - 1 : written;
        if (publish > Volatile.Read(ref _published))
        {
            Volatile.Write(ref _published, publish);
            Signal();
        }
    }

    public void Finish(FillState state, long written, string reason = "")
    {
        FailureReason = reason;
        if (state != FillState.Failed)
        {
            Volatile.Write(ref _published, written);
        }
        _state = state;
        Signal();
        _reader.Release();
    }

    /// <summary>Waits until more than <paramref name="position"/> bytes are published or the fill ends.</summary>
    public Task WaitAsync(long position, CancellationToken cancellationToken)
    {
        var progress = Volatile.Read(ref _progress);
        if (Published > position || _state != FillState.Running)
        {
            return Task.CompletedTask;
        }
        return progress.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// A client's hold on the staging copy, taken when it joins (before the body exists) and
    /// disposed when it is done; null when the fill is already over and closed.
    /// </summary>
    public SharedReader.Lease? TryReader() => _reader.TryAcquire();

    private void Signal() => Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>The staging copy's read handle, closed when the fill and its last client are done.</summary>
    internal sealed class SharedReader
    {
        private int _references = 1;
        private FileObjectReader? _inner;

        public void Set(FileObjectReader reader) => _inner = reader;

        public Lease? TryAcquire()
        {
            var current = Volatile.Read(ref _references);
            while (current > 0)
            {
                var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
                if (seen == current)
                {
                    return new Lease(this);
                }
                current = seen;
            }
            return null;
        }

        public FileObjectReader Inner => _inner ?? throw new InvalidOperationException("the fill has no body");

        /// <summary>Clients reading now (plus the fill itself while it runs).</summary>
        public int References => Volatile.Read(ref _references);

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                _inner?.Dispose();
            }
        }

        internal sealed class Lease(SharedReader owner) : IDisposable
        {
            private int _released;

            public FileObjectReader Reader => owner.Inner;

            /// <summary>How many share this staging copy now.</summary>
            public int Sharers => owner.References;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _released, 1) == 0)
                {
                    owner.Release();
                }
            }
        }
    }
}
