using System.Buffers;
using System.Runtime.Intrinsics.X86;

namespace OriginGateway.Storage;

/// <summary>
/// Hashes the bodies being staged at the same moment side by side, eight at a time in the lanes of a vector register
/// (<see cref="Md5State.Compress8"/>), instead of one after the other: MD5 has no parallelism within one body, but many
/// bodies give it some. Many origin fills at once on a few cores (a cold burst of large objects) spent about a fifth of
/// their CPU on MD5 alone (bench/README.md).
/// </summary>
/// <remarks>
/// A writer hands over a copy of each piece (<see cref="Md5Body.AppendAsync"/>) and goes on; one thread-pool worker,
/// started when there is work, hashes the pieces of up to eight bodies per pass, a body's pieces in order, a lane given
/// to the next waiting body as soon as one has nothing left. When the hashing keeps up with the writers each pass has few
/// bodies; when it falls behind — many writers, busy cores — its passes fill up and it catches up faster. A body with
/// <see cref="MaxQueuedPieces"/> pieces waiting holds its writer until one is done, so what waits stays bounded.
/// </remarks>
internal sealed class Md5Lanes
{
    private const int Lanes = 8;

    /// <summary>Pieces smaller than this, of a body with nothing waiting, are hashed on the writer's thread: not worth a hand-over.</summary>
    internal const int MinSharedPiece = 4096;

    /// <summary>Pieces of one body waiting at most; its writer waits beyond that.</summary>
    internal const int MaxQueuedPieces = 4;

    private readonly Lock _lock = new();
    private readonly Queue<Md5Body> _ready = new();
    private bool _running;

    public static Md5Lanes Shared { get; } = new();

    /// <summary>Whether this machine hashes eight lanes at once (x86-64 with AVX2).</summary>
    public static bool IsSupported => Avx2.IsSupported && BitConverter.IsLittleEndian;

    /// <summary>Passes that hashed two bodies or more at once.</summary>
    internal long SharedPasses => Volatile.Read(ref _sharedPasses);

    private long _sharedPasses;

    /// <summary>Called by a body whose first waiting piece just arrived.</summary>
    internal void Enqueue(Md5Body body)
    {
        lock (_lock)
        {
            _ready.Enqueue(body);
            if (_running)
            {
                return;
            }
            _running = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static lanes => lanes.Run(), this, preferLocal: false);
    }

    private void Run()
    {
        var lanes = new Md5Body?[Lanes];
        var states = new Md5State[Lanes];
        var spare = new Md5State();
        var active = 0;
        while (true)
        {
            lock (_lock)
            {
                while (active < Lanes && _ready.TryDequeue(out var next))
                {
                    lanes[active++] = next;
                }
                if (active == 0)
                {
                    _running = false;
                    return;
                }
            }
            if (active == 1 || !IsSupported)
            {
                for (var i = 0; i < active; i++)
                {
                    lanes[i]!.HashAlone();
                }
            }
            else
            {
                var blocks = int.MaxValue;
                for (var i = 0; i < Lanes; i++)
                {
                    states[i] = i < active ? lanes[i]!.State : spare;
                    if (i < active)
                    {
                        blocks = Math.Min(blocks, lanes[i]!.Blocks);
                    }
                }
                if (blocks > 0)
                {
                    _sharedPasses++;
                    Md5State.Compress8(states, Lane(lanes, 0, active), Lane(lanes, 1, active), Lane(lanes, 2, active), Lane(lanes, 3, active),
                        Lane(lanes, 4, active), Lane(lanes, 5, active), Lane(lanes, 6, active), Lane(lanes, 7, active), blocks);
                    for (var i = 0; i < active; i++)
                    {
                        lanes[i]!.Advance(blocks);
                    }
                }
            }
            // A body whose piece has no whole block left finishes it and takes its next piece, or leaves its lane.
            var kept = 0;
            for (var i = 0; i < active; i++)
            {
                var body = lanes[i]!;
                if (body.Blocks > 0 || body.NextPiece())
                {
                    lanes[kept++] = body;
                }
            }
            Array.Clear(lanes, kept, active - kept);
            active = kept;
        }
    }

    private static ReadOnlySpan<byte> Lane(Md5Body?[] lanes, int lane, int active) => lanes[lane < active ? lane : 0]!.Current;
}

/// <summary>The MD5 of one body hashed by <see cref="Md5Lanes"/>: its pieces queued in order, its digest once all are done.</summary>
internal sealed class Md5Body(Md5Lanes lanes)
{
    private readonly Queue<(byte[] Buffer, int Length)> _pieces = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource? _room;
    private TaskCompletionSource? _drained;
    private byte[]? _buffer;
    private int _start, _end;

    internal Md5State State { get; } = new();

    /// <summary>The unhashed rest of the piece in hand (only the worker touches it).</summary>
    internal ReadOnlySpan<byte> Current => _buffer.AsSpan(_start, _end - _start);

    /// <summary>Whole blocks left in the piece in hand.</summary>
    internal int Blocks => (_end - _start) / Md5State.BlockSize;

    /// <summary>Appends a copy of <paramref name="data"/>; completes at once unless the body already has its share of pieces waiting.</summary>
    public ValueTask AppendAsync(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }
        if (data.Length < Md5Lanes.MinSharedPiece)
        {
            lock (_lock)
            {
                // A small piece of a body with nothing waiting is hashed at once (no other thread holds the state).
                if (_buffer is null && _pieces.Count == 0)
                {
                    State.Append(data);
                    return ValueTask.CompletedTask;
                }
            }
        }
        var copy = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(copy);
        bool first;
        Task? wait = null;
        lock (_lock)
        {
            first = _buffer is null && _pieces.Count == 0;
            _pieces.Enqueue((copy, data.Length));
            if (_pieces.Count >= Md5Lanes.MaxQueuedPieces)
            {
                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _room.Task;
            }
            if (first)
            {
                TakeNext();
            }
        }
        if (first)
        {
            lanes.Enqueue(this);
        }
        return wait is null ? ValueTask.CompletedTask : new ValueTask(wait);
    }

    /// <summary>The digest, once every piece appended so far is hashed.</summary>
    public async ValueTask<byte[]> FinishAsync()
    {
        Task? drained = null;
        lock (_lock)
        {
            if (_buffer is not null || _pieces.Count > 0)
            {
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = _drained.Task;
            }
        }
        if (drained is not null)
        {
            await drained.ConfigureAwait(false);
        }
        return State.Finish();
    }

    internal void Advance(int blocks) => _start += blocks * Md5State.BlockSize;

    internal void HashAlone()
    {
        var whole = Blocks * Md5State.BlockSize;
        State.Compress(_buffer.AsSpan(_start, whole));
        _start += whole;
    }

    /// <summary>Keeps the piece's last bytes and takes the next piece; false when none is waiting (the body leaves its lane).</summary>
    internal bool NextPiece()
    {
        State.KeepTail(Current);
        ArrayPool<byte>.Shared.Return(_buffer!);
        TaskCompletionSource? room = null, drained = null;
        bool more;
        lock (_lock)
        {
            _buffer = null;
            more = _pieces.Count > 0;
            if (more)
            {
                TakeNext();
            }
            else
            {
                (drained, _drained) = (_drained, null);
            }
            if (_pieces.Count < Md5Lanes.MaxQueuedPieces)
            {
                (room, _room) = (_room, null);
            }
        }
        room?.SetResult();
        drained?.SetResult();
        return more;
    }

    /// <summary>Makes the next waiting piece the one in hand, its front completing the state's started block.</summary>
    private void TakeNext()
    {
        var (buffer, length) = _pieces.Dequeue();
        var rest = State.AbsorbTail(buffer.AsSpan(0, length));
        (_buffer, _start, _end) = (buffer, length - rest.Length, length);
    }
}
