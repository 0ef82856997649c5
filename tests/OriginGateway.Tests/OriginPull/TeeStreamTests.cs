using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.OriginPull;
using OriginGateway.Storage;

namespace OriginGateway.Tests.OriginPull;

/// <summary>The Proxy's tee: the client gets every byte; the store gets the same bytes, or none once it fails.</summary>
public sealed class TeeStreamTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("og-tee-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static ObjectWrite Write(long length) => new(null, [], null, length, long.MaxValue);

    [Fact]
    public async Task EveryByte_ReachesTheClientAndTheStore_AndIsCounted()
    {
        var store = new FileSystemObjectStore(_root, false, TimeProvider.System, NullLogger.Instance);
        var body = RandomNumberGenerator.GetBytes(150_000);
        using var session = store.BeginWrite("t.bin", Write(body.Length));
        using var client = new MemoryStream();
        var tee = new TeeStream(client, session);

        for (var offset = 0; offset < body.Length; offset += 40_000)
        {
            await tee.WriteAsync(body.AsMemory(offset, Math.Min(40_000, body.Length - offset)));
        }
        var commit = await session.CommitAsync(CancellationToken.None);

        Assert.Equal(body, client.ToArray());
        Assert.Equal(body.Length, tee.Written);
        Assert.False(tee.Failed);
        Assert.Equal(ObjectWriteStatus.Committed, commit.Status);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), commit.Entry!.Md5Hex);
    }

    [Fact]
    public async Task AStoreThatFails_IsDropped_WhileTheClientKeepsReceiving()
    {
        using var client = new MemoryStream();
        var tee = new TeeStream(client, new TestSession(fail: true));

        await tee.WriteAsync("first"u8.ToArray());
        await tee.WriteAsync("second"u8.ToArray());

        Assert.True(tee.Failed);
        Assert.Equal("firstsecond"u8.ToArray(), client.ToArray());
        Assert.Equal(11, tee.Written);
    }

    [Fact]
    public async Task WithoutASession_ItOnlyCounts()
    {
        using var client = new MemoryStream();
        var tee = new TeeStream(client, session: null);

        await tee.WriteAsync(new byte[1234]);

        Assert.Equal(1234, tee.Written);
        Assert.False(tee.Failed);
    }

    [Fact]
    public async Task OnAThreadOutsideThePool_TheClientIsWrittenThere_AndTheStoreOnThePool()
    {
        // The forwarding connections' reads complete on the socket engine's event threads, which are not the pool's: the
        // client's copy stays there, the store's write does not.
        using var client = new MemoryStream();
        var session = new TestSession();
        var tee = new TeeStream(client, session);
        var countOnly = new TeeStream(new MemoryStream(), session: null);
        Task? write = null;
        var countedAtOnce = false;
        var eventThread = new Thread(() =>
        {
            countedAtOnce = countOnly.WriteAsync(new byte[10]).AsTask().IsCompletedSuccessfully;
            write = tee.WriteAsync(new byte[100]).AsTask();
        }) { IsBackground = true };
        eventThread.Start();
        eventThread.Join();
        await write!;

        Assert.True(countedAtOnce);
        Assert.Equal(100, client.Length);
        Assert.Equal(1, session.Writes);
        Assert.True(session.OnPool);
        Assert.NotEqual(eventThread.ManagedThreadId, session.ThreadId);
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
