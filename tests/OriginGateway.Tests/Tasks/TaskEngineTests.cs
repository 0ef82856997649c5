using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Oms;
using OriginGateway.Persistence;
using OriginGateway.Tasks;

namespace OriginGateway.Tests.Tasks;

/// <summary>
/// The task engine on a real control database, driven step by step on a manual clock: one suite, run on
/// SQLite (<see cref="SqliteTaskEngineTests"/>) and on a real PostgreSQL (<see cref="PostgresTaskEngineTests"/>).
/// </summary>
public abstract class TaskEngineTests : IDisposable
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private readonly SqlTaskStore _store;
    private readonly ControlDatabase _database;

    private protected TaskEngineTests(ControlDatabase database)
    {
        _database = database;
        database.MigrateAsync(ControlDatabaseMigrations.All).GetAwaiter().GetResult();
        _store = new SqlTaskStore(database);
    }

    public virtual void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A handler whose attempts follow a script of outcomes (or block until cancelled).</summary>
    private sealed class ScriptedHandler(string kind, params Func<TaskRun, CancellationToken, Task<TaskOutcome>>[] script) : ITaskHandler
    {
        public List<string> Runs { get; } = [];

        public string Kind => kind;

        public RetryPolicy Retry { get; init; } = new(5, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5));

        public Func<TaskRecord, TaskOutcome, NewTask?>? Next { get; init; }

        public Task<TaskOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
        {
            lock (Runs)
            {
                Runs.Add(run.Task.Id);
                var step = script[Math.Min(Runs.Count, script.Length) - 1];
                return step(run, cancellationToken);
            }
        }

        public IReadOnlyList<NewTask> FollowUps(TaskRecord task, TaskOutcome outcome) => Next?.Invoke(task, outcome) is { } next ? [next] : [];

        public Func<TaskRecord, TaskOutcome, TaskTally?>? Counts { get; init; }

        public TaskTally? Tally(TaskRecord task, TaskOutcome outcome) => Counts?.Invoke(task, outcome);
    }

    private static Func<TaskRun, CancellationToken, Task<TaskOutcome>> Returns(TaskOutcome outcome) => (_, _) => Task.FromResult(outcome);

    private static readonly Func<TaskRun, CancellationToken, Task<TaskOutcome>> Succeeds = Returns(TaskOutcome.Success(5, "etag"));

    /// <summary>An engine on the test's clock: it does not follow PostgreSQL's (the tests move time themselves).</summary>
    private TaskEngine Engine(TaskOptions? options, params ITaskHandler[] handlers)
    {
        options ??= new TaskOptions();
        options.FollowStoreClock = false;
        return new(_store, handlers, options, _time, NullLogger<TaskEngine>.Instance);
    }

    private static NewTask Queued(string kind = "test", int priority = 0, string host = "origin.example", string key = "k", string? dedup = null) =>
        new(kind, "bucket-1250000000", key, host, priority, "{}", DedupKey: dedup);

    private static async Task<int> RunDueAsync(TaskEngine engine)
    {
        var started = (await engine.StartDueAsync());
        await Task.WhenAll(started);
        return started.Count;
    }

    [Fact]
    public async Task Submit_IsDurableBeforeItReturns()
    {
        var engine = Engine(null, new ScriptedHandler("test", Succeeds));
        var task = (await engine.SubmitAsync(Queued()))!;

        var stored = (await _store.GetAsync(task.Id))!;
        Assert.Equal(TaskState.Queued, stored.State);
        Assert.DoesNotContain('/', task.Id);
        Assert.DoesNotContain('+', task.Id);
        Assert.DoesNotContain('=', task.Id);
        Assert.Equal(22, task.Id.Length);
    }

    [Fact]
    public async Task TransientFailure_IsRetriedAfterItsBackoff_ThenSucceeds()
    {
        var handler = new ScriptedHandler("test",
            Returns(TaskOutcome.Retry("OriginError", "503")), Returns(TaskOutcome.Retry("OriginTimeout", "slow")), Succeeds);
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        Assert.Equal(1, await RunDueAsync(engine));
        var waiting = (await _store.GetAsync(id))!;
        Assert.Equal(TaskState.Queued, waiting.State);
        Assert.Equal("OriginError", waiting.ResultCode);
        Assert.InRange(waiting.NotBefore - _time.Now.ToUnixTimeMilliseconds(), 0, 2000);

        // Not before its time (the bound of attempt 2 is 4 s).
        _time.Advance(TimeSpan.FromMilliseconds(waiting.NotBefore - _time.Now.ToUnixTimeMilliseconds() - 1));
        if (waiting.NotBefore > _time.Now.ToUnixTimeMilliseconds())
        {
            Assert.Equal(0, await RunDueAsync(engine));
        }
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await RunDueAsync(engine));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await RunDueAsync(engine));

        var done = (await _store.GetAsync(id))!;
        Assert.Equal(TaskState.Succeeded, done.State);
        Assert.Equal(3, done.Attempts);
        Assert.Equal(100, done.Percent);
        Assert.Equal(3, handler.Runs.Count);
    }

    [Fact]
    public async Task AnAttemptThatThrows_IsRetried_AsTheStoresFailureWhenTheStoreFailed_ElseAsAnInternalError()
    {
        var handler = new ScriptedHandler("test",
            (_, _) => throw new IOException("No space left on device"),
            (_, _) => throw new InvalidOperationException("a bug"),
            Succeeds);
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        await RunDueAsync(engine);
        var afterFullDisk = (await _store.GetAsync(id))!;
        Assert.Equal(TaskState.Queued, afterFullDisk.State);
        Assert.Equal("StoreFailed", afterFullDisk.ResultCode);
        _time.Advance(TimeSpan.FromMinutes(1));
        await RunDueAsync(engine);
        var afterBug = (await _store.GetAsync(id))!;
        Assert.Equal(TaskState.Queued, afterBug.State);
        Assert.Equal("InternalError", afterBug.ResultCode);
        _time.Advance(TimeSpan.FromMinutes(1));
        await RunDueAsync(engine);
        Assert.Equal(TaskState.Succeeded, (await _store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task PermanentFailure_FailsAtOnce_WithoutRetry()
    {
        var handler = new ScriptedHandler("test", Returns(TaskOutcome.Permanent("NotFound", "404")), Succeeds);
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        await RunDueAsync(engine);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await RunDueAsync(engine));

        var task = (await _store.GetAsync(id))!;
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal("NotFound", task.ResultCode);
        Assert.Equal(1, task.Attempts);
        Assert.Single(handler.Runs);
    }

    [Fact]
    public async Task TransientFailures_StopAtMaxAttempts()
    {
        var handler = new ScriptedHandler("test", Returns(TaskOutcome.Retry("OriginError", "503"))) { Retry = new(3, TimeSpan.Zero, TimeSpan.Zero) };
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        for (var i = 0; i < 5; i++)
        {
            await RunDueAsync(engine);
        }

        var task = (await _store.GetAsync(id))!;
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal(3, task.Attempts);
        Assert.Equal(3, handler.Runs.Count);
    }

    [Fact]
    public async Task Cancel_StopsARunningAttempt_AndNothingIsRecordedAfterIt()
    {
        var entered = new TaskCompletionSource();
        var sawCancellation = false;
        var handler = new ScriptedHandler("test", async (_, token) =>
        {
            entered.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                sawCancellation = true;
                throw;
            }
            return TaskOutcome.Success(1, "x");
        });
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        var started = (await engine.StartDueAsync());
        await entered.Task;
        Assert.Equal(TaskState.Running, (await _store.GetAsync(id))!.State);
        Assert.Equal(CancelResult.Cancelled, (await engine.CancelAsync(id)));
        await Task.WhenAll(started);

        Assert.True(sawCancellation);
        Assert.Equal(TaskState.Cancelled, (await _store.GetAsync(id))!.State);
        Assert.Equal(CancelResult.AlreadyFinished, (await engine.CancelAsync(id)));
        Assert.Equal(CancelResult.NotFound, (await engine.CancelAsync("nope")));
    }

    [Fact]
    public async Task CancelledTask_GetsNoFollowUp()
    {
        var followUps = 0;
        var handler = new ScriptedHandler("test", Succeeds) { Next = (_, _) => { followUps++; return null; } };
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;
        await engine.CancelAsync(id);

        Assert.Equal(0, await RunDueAsync(engine));
        Assert.Equal(0, followUps);
        Assert.Empty(handler.Runs);
    }

    [Fact]
    public async Task Priority_HigherFirst_FifoWithin()
    {
        var handler = new ScriptedHandler("test", Succeeds);
        var engine = Engine(new TaskOptions { Workers = 1 }, handler);
        var low = (await engine.SubmitAsync(Queued(priority: -5)))!.Id;
        var first = (await engine.SubmitAsync(Queued(priority: 5)))!.Id;
        var normal = (await engine.SubmitAsync(Queued(priority: 0)))!.Id;
        var second = (await engine.SubmitAsync(Queued(priority: 5)))!.Id;
        var top = (await engine.SubmitAsync(Queued(priority: 10)))!.Id;

        // One worker: one lease per pass — or more, when an attempt ends before the pass looks again
        // (its slot is free then); each lease still takes the highest-priority task due.
        for (var pass = 0; pass < 5 && handler.Runs.Count < 5; pass++)
        {
            Assert.InRange(await RunDueAsync(engine), 1, 5);
        }

        Assert.Equal([top, first, second, normal, low], handler.Runs);
    }

    [Fact]
    public async Task PerHostCap_LeavesWorkersForOtherHosts()
    {
        var release = new TaskCompletionSource<TaskOutcome>();
        var handler = new ScriptedHandler("test", (_, _) => release.Task);
        var engine = Engine(new TaskOptions { Workers = 4, PerHostLimit = 2 }, handler);
        for (var i = 0; i < 4; i++)
        {
            await engine.SubmitAsync(Queued(host: "slow.example"));
        }
        var other = (await engine.SubmitAsync(Queued(host: "fast.example")))!.Id;

        var started = (await engine.StartDueAsync());

        Assert.Equal(3, started.Count);
        await EventuallyAsync(() => Task.FromResult(handler.Runs.Count >= 3));
        var hosts = new List<string>();
        foreach (var id in handler.Runs)
        {
            hosts.Add((await _store.GetAsync(id))!.Host);
        }
        Assert.Equal(2, hosts.Count(h => h == "slow.example"));
        Assert.Contains(other, handler.Runs);
        release.SetResult(TaskOutcome.Success(1, "x"));
        await Task.WhenAll(started);
    }

    [Fact]
    public async Task Workers_BoundWhatRunsAtOnce()
    {
        var release = new TaskCompletionSource<TaskOutcome>();
        int running = 0, most = 0, done = 0;
        var handler = new ScriptedHandler("test", async (_, _) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            var outcome = await release.Task;
            Interlocked.Decrement(ref running);
            Interlocked.Increment(ref done);
            return outcome;
        });
        var engine = Engine(new TaskOptions { Workers = 2, PerHostLimit = 10 }, handler);
        for (var i = 0; i < 5; i++)
        {
            await engine.SubmitAsync(Queued());
        }

        var started = (await engine.StartDueAsync());
        Assert.Equal(2, started.Count);
        Assert.Empty((await engine.StartDueAsync()));
        // Both attempts are under way (each on its own thread) before they are let go.
        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref running) == 2));
        release.SetResult(TaskOutcome.Success(1, "x"));
        await Task.WhenAll(started);
        while (Volatile.Read(ref done) < 5)
        {
            await RunDueAsync(engine);
        }

        Assert.Equal(2, most);
        Assert.Equal(5, handler.Runs.Count);
    }

    /// <summary>Waits (up to 10 s) for something another thread brings about.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 10 s");
            await Task.Delay(10);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [Fact]
    public async Task ADeadHoldersTask_IsLeasedByAnotherOwner_AsSoonAsItsLeaseRunsOut_WithoutWaitingForTheReclaim()
    {
        var engine = Engine(null, new ScriptedHandler("test", Succeeds));
        var id = (await engine.SubmitAsync(Queued()))!.Id;
        var now = _time.Now.ToUnixTimeMilliseconds();
        Assert.NotNull((await _store.LeaseAsync("dead-replica", now, now + 4_000, [])));

        // Still held: nobody else gets it.
        Assert.Null((await _store.LeaseAsync("survivor", now + 3_999, now + 8_000, [])));
        // Run out: the next lease takes it over at once, as a new attempt under the new owner.
        var taken = (await _store.LeaseAsync("survivor", now + 4_001, now + 8_001, []));
        Assert.NotNull(taken);
        Assert.Equal(id, taken.Id);
        Assert.Equal("survivor", taken.LeaseOwner);
        Assert.Equal(2, taken.Attempts);
        Assert.False((await _store.RenewAsync(id, "dead-replica", now + 10_000)));
        Assert.True((await _store.RenewAsync(id, "survivor", now + 10_000)));
    }

    [Fact]
    public async Task ExpiredLease_IsReclaimed_AndStartupReclaimsEveryRunningTaskOnSqliteOnly()
    {
        var engine = Engine(null, new ScriptedHandler("test", Succeeds));
        var a = (await engine.SubmitAsync(Queued()))!.Id;
        var b = (await engine.SubmitAsync(Queued()))!.Id;
        var now = _time.Now.ToUnixTimeMilliseconds();
        Assert.NotNull((await _store.LeaseAsync("dead-replica", now, now + 60_000, [])));
        Assert.NotNull((await _store.LeaseAsync("dead-replica", now, now + 120_000, [])));

        Assert.Equal(0, (await _store.ReclaimExpiredAsync(now + 30_000)));
        Assert.Equal(1, (await _store.ReclaimExpiredAsync(now + 90_000)));
        Assert.Equal(TaskState.Queued, (await _store.GetAsync(a))!.State);
        Assert.Equal(TaskState.Running, (await _store.GetAsync(b))!.State);
        Assert.False((await _store.RenewAsync(a, "dead-replica", now + 200_000)));

        if (_database.IsPostgres)
        {
            // Shared by replicas: a task running elsewhere is not taken back at start-up, only when its lease expires.
            Assert.Equal(0, (await _store.ReclaimAtStartupAsync()));
            Assert.Equal(TaskState.Running, (await _store.GetAsync(b))!.State);
            return;
        }
        Assert.Equal(1, (await _store.ReclaimAtStartupAsync()));
        Assert.Equal(TaskState.Queued, (await _store.GetAsync(b))!.State);
        Assert.Null((await _store.GetAsync(b))!.LeaseOwner);
    }

    [Fact]
    public async Task FinishedTasks_ArePurgedAfterTheRetention()
    {
        var engine = Engine(new TaskOptions { Retention = TimeSpan.FromDays(7) }, new ScriptedHandler("test", Succeeds));
        var old = (await engine.SubmitAsync(Queued()))!.Id;
        await RunDueAsync(engine);
        _time.Advance(TimeSpan.FromDays(6));
        var recent = (await engine.SubmitAsync(Queued()))!.Id;
        await RunDueAsync(engine);

        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await RunDueAsync(engine);

        Assert.Null((await _store.GetAsync(old)));
        Assert.NotNull((await _store.GetAsync(recent)));
    }

    [Fact]
    public async Task DedupKey_OneQueuedOrRunningTaskPerKey_FreedWhenItEnds()
    {
        var engine = Engine(null, new ScriptedHandler("test", Succeeds));
        Assert.NotNull((await engine.SubmitAsync(Queued(dedup: "store\nb\nk"))));
        Assert.Null((await engine.SubmitAsync(Queued(dedup: "store\nb\nk"))));
        Assert.NotNull((await engine.SubmitAsync(Queued(dedup: "store\nb\nother"))));

        await RunDueAsync(engine);

        Assert.NotNull((await engine.SubmitAsync(Queued(dedup: "store\nb\nk"))));
    }

    [Fact]
    public async Task FollowUp_IsQueuedWithTheFinalOutcome_InTheSameTransaction()
    {
        var callbacks = new ScriptedHandler("callback", Succeeds);
        var handler = new ScriptedHandler("test", Returns(TaskOutcome.Permanent("NotFound", "404")))
        {
            Next = (task, outcome) => new NewTask("callback", task.Bucket, task.Key, "receiver.example", 10, outcome.Code!, ParentId: task.Id),
        };
        var engine = Engine(null, handler, callbacks);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        await RunDueAsync(engine);
        Assert.Equal("pending", (await _store.GetAsync(id))!.CallbackState);
        await RunDueAsync(engine);

        Assert.Single(callbacks.Runs);
        Assert.Equal(id, (await _store.GetAsync(callbacks.Runs[0]))!.ParentId);
    }

    [Fact]
    public async Task Tally_CountsTheFinalOutcomeOnce_NotARetry_NorAnAttemptWhoseOutcomeWasLost()
    {
        var syncTasks = new SyncTaskRepository(_database);
        Assert.True(await syncTasks.InsertAsync(new SyncTask
        {
            Id = "s", ProjectId = "p", SourceType = "s3", SourceCloudType = "AWS", SourceEndpoint = "http://s3.example", DestinationBucket = "d-1250000000",
            SyncInterval = 60, Status = "SYNCHRONIZING", CreateTime = 1000,
        }, 10, "replica-1", long.MaxValue));
        var handler = new ScriptedHandler("test",
            Returns(TaskOutcome.Retry("OriginError", "503")),
            async (_, token) =>
            {
                // The copy is done, but another replica took the task over before the outcome was written (this one
                // stalled past its lease): the outcome is not written, and the task runs again.
                var later = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)TimeSpan.FromDays(1).TotalMilliseconds;
                Assert.NotNull(await _store.LeaseAsync("another-replica", later, later + 60_000, [], token));
                return TaskOutcome.Success(5, "etag");
            },
            Succeeds)
        {
            Counts = (task, outcome) => SyncTaskRepository.CopyDone("s", outcome.Succeeded, outcome.Size ?? 0, outcome.Code),
        };
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        Assert.Equal(1, await RunDueAsync(engine));
        Assert.Equal((0L, 0L), await CountsAsync());
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await RunDueAsync(engine));
        Assert.Equal("another-replica", (await _store.GetAsync(id))!.LeaseOwner);
        Assert.Equal((0L, 0L), await CountsAsync());
        // The other replica dies in turn; its lease runs out and this engine takes the task over.
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(2));
        Assert.Equal(1, await RunDueAsync(engine));

        Assert.Equal(TaskState.Succeeded, (await _store.GetAsync(id))!.State);
        Assert.Equal(3, handler.Runs.Count);
        Assert.Equal((1L, 5L), await CountsAsync());

        async Task<(long Copied, long Bytes)> CountsAsync() => (await syncTasks.GetAsync("s")) is { } t ? (t.Copied, t.Bytes) : default;
    }

    [Fact]
    public async Task Progress_IsSavedWhileRunning()
    {
        var gate = new TaskCompletionSource<TaskOutcome>();
        var reported = new TaskCompletionSource();
        var handler = new ScriptedHandler("test", (run, _) =>
        {
            run.Progress(250, 1000);
            reported.SetResult();
            return gate.Task;
        });
        var engine = Engine(null, handler);
        var id = (await engine.SubmitAsync(Queued()))!.Id;

        var started = (await engine.StartDueAsync());
        await reported.Task;
        // The report is written off the copy's path: it reaches the database shortly after.
        await EventuallyAsync(async () => (await _store.GetAsync(id))!.Percent == 25);
        var running = (await _store.GetAsync(id))!;
        Assert.Equal(TaskState.Running, running.State);
        Assert.Equal(25, running.Percent);
        gate.SetResult(TaskOutcome.Success(1000, "x"));
        await Task.WhenAll(started);
    }

    [Fact]
    public void RetryPolicy_ExponentialWithFullJitter_Capped()
    {
        var policy = new RetryPolicy(5, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.Bound(1));
        Assert.Equal(TimeSpan.FromSeconds(4), policy.Bound(2));
        Assert.Equal(TimeSpan.FromSeconds(16), policy.Bound(4));
        Assert.Equal(TimeSpan.FromMinutes(5), policy.Bound(20));
        var random = new Random(7);
        var delays = Enumerable.Range(0, 200).Select(_ => policy.Delay(3, random)).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(8)));
        Assert.True(delays.Distinct().Count() > 150, "full jitter spreads the delays");
        Assert.Contains(delays, d => d < TimeSpan.FromSeconds(2));
    }
}

/// <summary>The engine suite on a SQLite file.</summary>
public sealed class SqliteTaskEngineTests : TaskEngineTests
{
    private readonly string _path;

    public SqliteTaskEngineTests()
        : this(SqliteTestFile.NewPath())
    {
    }

    private SqliteTaskEngineTests(string path)
        : base(new ControlDatabase($"Data Source={path}", NullLogger<ControlDatabase>.Instance)) => _path = path;

    public override void Dispose()
    {
        base.Dispose();
        SqliteTestFile.Delete(_path);
    }
}

/// <summary>The engine suite on a real PostgreSQL (a private cluster the tests start), a fresh database per test.</summary>
public sealed class PostgresTaskEngineTests : TaskEngineTests, IClassFixture<PostgresFixture>
{
    private readonly string _connectionString;

    public PostgresTaskEngineTests(PostgresFixture postgres)
        : this(postgres.NewDatabase())
    {
    }

    private PostgresTaskEngineTests(string connectionString)
        : base(PostgresFixture.Open(connectionString)) => _connectionString = connectionString;

    [Fact]
    public async Task ConcurrentLeases_FromManyReplicas_NeverTakeTheSameTask()
    {
        using var database = PostgresFixture.Open(_connectionString);
        var store = new SqlTaskStore(database);
        for (var i = 0; i < 40; i++)
        {
            Assert.True((await store.InsertAsync(new TaskRecord
            {
                Id = "t" + i, Kind = "test", Bucket = "bucket-1250000000", Key = "k" + i, Host = "h", Priority = 0,
                State = TaskState.Queued, Payload = "{}", MaxAttempts = 3, CreatedAt = 1,
            }, null)));
        }
        var leased = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForAsync(0, 8, async (worker, cancellationToken) =>
        {
            while ((await store.LeaseAsync("replica-" + worker, 10, 60_000, [], cancellationToken)) is { } task)
            {
                leased.Add(task.Id);
            }
        });
        Assert.Equal(40, leased.Count);
        Assert.Equal(40, leased.Distinct().Count());
    }
}
