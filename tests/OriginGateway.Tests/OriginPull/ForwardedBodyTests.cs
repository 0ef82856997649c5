using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.OriginPull;
using OriginGateway.Storage;

namespace OriginGateway.Tests.OriginPull;

/// <summary>
/// An origin's body on its way to a client: every byte read reaches the caller's buffer and, with a session, the store
/// (none once the store fails); a body that breaks or stalls is -1 with its reason, never a clean end.
/// </summary>
public sealed class ForwardedBodyTests : IDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(200);
    private readonly string _root = Directory.CreateTempSubdirectory("og-fwd-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static ObjectWrite Write(long length) => new(null, [], null, length, long.MaxValue);

    /// <summary>Reads the whole body as the pump does, into pieces of at most <paramref name="piece"/> bytes.</summary>
    private static async Task<(byte[] Received, int Last)> ReadAllAsync(ForwardedBody body, int piece, CancellationToken cancellationToken = default)
    {
        using var received = new MemoryStream();
        var buffer = new byte[piece];
        while (true)
        {
            var read = await body.ReadAsync(buffer, received.Length, cancellationToken);
            if (read <= 0)
            {
                return (received.ToArray(), read);
            }
            received.Write(buffer, 0, read);
        }
    }

    [Fact]
    public async Task EveryByte_ReachesTheClientAndTheStore()
    {
        var store = new FileSystemObjectStore(_root, false, TimeProvider.System, NullLogger.Instance);
        var bytes = RandomNumberGenerator.GetBytes(150_000);
        using var session = store.BeginWrite("t.bin", Write(bytes.Length));
        using var body = new ForwardedBody(new MemoryStream(bytes), session, Idle);

        var (received, last) = await ReadAllAsync(body, 40_000);
        var commit = await session.CommitAsync(CancellationToken.None);

        Assert.Equal(0, last);
        Assert.Equal(bytes, received);
        Assert.True(body.Ended);
        Assert.Equal("", body.Failure);
        Assert.False(body.StoreFailed);
        Assert.Equal(ObjectWriteStatus.Committed, commit.Status);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), commit.Entry!.Md5Hex);
    }

    [Fact]
    public async Task AStoreThatFails_IsDropped_WhileTheClientKeepsReceiving()
    {
        var session = new TestSession(fail: true);
        using var body = new ForwardedBody(new MemoryStream("firstsecond"u8.ToArray()), session, Idle);

        var (received, last) = await ReadAllAsync(body, 5);

        Assert.Equal(0, last);
        Assert.Equal("firstsecond"u8.ToArray(), received);
        Assert.True(body.StoreFailed);
        Assert.Equal(1, session.Writes);
        Assert.Equal("", body.Failure);
    }

    [Fact]
    public async Task ABodyThatBreaks_EndsWithMinusOne_AsTruncated()
    {
        using var body = new ForwardedBody(new BreakingStream(RandomNumberGenerator.GetBytes(10_000)), session: null, Idle);

        var (received, last) = await ReadAllAsync(body, 4096);

        Assert.Equal(-1, last);
        Assert.Equal(10_000, received.Length);
        Assert.Equal("Truncated", body.Failure);
        Assert.False(body.Ended);
    }

    [Fact]
    public async Task AnOriginThatStalls_EndsWithMinusOne_AsOriginTimeout()
    {
        using var body = new ForwardedBody(new StallingStream(), session: null, Idle);

        var (received, last) = await ReadAllAsync(body, 4096);

        Assert.Equal(-1, last);
        Assert.Empty(received);
        Assert.Equal("OriginTimeout", body.Failure);
    }

    [Fact]
    public async Task AClientSlowerThanTheIdleTimeout_IsNotAnOriginStall()
    {
        // The idle clock runs while a read waits on the origin, not while the client takes its time with the last piece.
        var bytes = RandomNumberGenerator.GetBytes(3000);
        using var body = new ForwardedBody(new MemoryStream(bytes), session: null, Idle);
        var buffer = new byte[1000];
        var received = new List<byte>();

        for (var i = 0; i < 3; i++)
        {
            var read = await body.ReadAsync(buffer, received.Count, CancellationToken.None);
            Assert.Equal(1000, read);
            received.AddRange(buffer);
            await Task.Delay(Idle * 3);
        }

        Assert.Equal(0, await body.ReadAsync(buffer, received.Count, CancellationToken.None));
        Assert.Equal(bytes, received);
        Assert.Equal("", body.Failure);
    }

    [Fact]
    public async Task AClientThatLeaves_IsACancellation_NotAnOriginFault()
    {
        using var gone = new CancellationTokenSource();
        using var body = new ForwardedBody(new StallingStream(), session: null, TimeSpan.FromMinutes(5));

        var read = body.ReadAsync(new byte[100], 0, gone.Token).AsTask();
        await gone.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.Equal("", body.Failure);
    }

    [Fact]
    public async Task OnAThreadOutsideThePool_TheClientsBytesAreReadThere_AndTheStoreIsWrittenOnThePool()
    {
        // The forwarding connections' reads complete on the socket engine's event threads, which are not the pool's: the
        // client's bytes are handed on there, the store's write is not made there.
        var session = new TestSession();
        using var body = new ForwardedBody(new MemoryStream(new byte[100]), session, Idle);
        using var countOnly = new ForwardedBody(new MemoryStream(new byte[10]), session: null, Idle);
        Task<int>? read = null;
        var readAtOnce = false;
        var eventThread = new Thread(() =>
        {
            readAtOnce = countOnly.ReadAsync(new byte[10], 0, CancellationToken.None).AsTask().IsCompletedSuccessfully;
            read = body.ReadAsync(new byte[100], 0, CancellationToken.None).AsTask();
        }) { IsBackground = true };
        eventThread.Start();
        eventThread.Join();

        Assert.Equal(100, await read!);
        Assert.True(readAtOnce);
        Assert.Equal(1, session.Writes);
        Assert.True(session.OnPool);
        Assert.NotEqual(eventThread.ManagedThreadId, session.ThreadId);
    }

    /// <summary>A body whose connection breaks after its bytes.</summary>
    private sealed class BreakingStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("The response ended prematurely.");
        }
    }

    /// <summary>An origin that sends nothing more.</summary>
    private sealed class StallingStream : MemoryStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }

    /// <summary>A write session that records where each write ran, and fails every write when told to (a full disk).</summary>
    private sealed class TestSession(bool fail = false) : ObjectWriteSession
    {
        public int Writes { get; private set; }

        public bool OnPool { get; private set; }

        public int ThreadId { get; private set; }

        public override long Length => 0;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Writes++;
            OnPool = Thread.CurrentThread.IsThreadPoolThread;
            ThreadId = Environment.CurrentManagedThreadId;
            return fail ? throw new IOException("disk full") : ValueTask.CompletedTask;
        }

        public override FileObjectReader OpenStagingReader() => throw new NotSupportedException();

        public override Task<ObjectWriteResult> CommitAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public override void Dispose()
        {
        }
    }
}
