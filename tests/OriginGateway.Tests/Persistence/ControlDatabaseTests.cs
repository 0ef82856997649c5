using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Oms;
using OriginGateway.Persistence;
using OriginGateway.Storage;
using OriginGateway.Vod;

namespace OriginGateway.Tests.Persistence;

/// <summary>
/// The control database's repositories (besides tasks, which <c>TaskEngineTests</c> covers): one suite, run on
/// SQLite and on a real PostgreSQL, so one SQL serves both.
/// </summary>
public abstract class ControlDatabaseTests : IDisposable
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));

    private protected ControlDatabaseTests(ControlDatabase database)
    {
        Database = database;
        Assert.Equal(ControlDatabaseMigrations.All.Count, database.MigrateAsync(ControlDatabaseMigrations.All).GetAwaiter().GetResult());
        Assert.Equal(0, database.MigrateAsync(ControlDatabaseMigrations.All).GetAwaiter().GetResult());
    }

    private protected ControlDatabase Database { get; }

    public virtual void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task BucketDocuments_PutReplaceGetDelete_PerTable()
    {
        var origins = new OriginConfigurationRepository(Database, _time);
        var policies = new BucketPolicyRepository(Database, _time);
        var cors = new CorsConfigurationRepository(Database, _time);

        await origins.PutAsync("b-1250000000", "<OriginConfiguration/>", "config/origin/b.xml");
        await origins.PutAsync("b-1250000000", "<OriginConfiguration><x/></OriginConfiguration>");
        await policies.PutAsync("b-1250000000", "{\"Statement\":[]}");

        Assert.Equal("<OriginConfiguration><x/></OriginConfiguration>", (await origins.GetAsync("b-1250000000")));
        Assert.Equal("{\"Statement\":[]}", (await policies.GetAsync("b-1250000000")));
        Assert.Null((await cors.GetAsync("b-1250000000")));
        Assert.True((await origins.DeleteAsync("b-1250000000")));
        Assert.False((await origins.DeleteAsync("b-1250000000")));
        Assert.Null((await origins.GetAsync("b-1250000000")));
        Assert.NotNull((await policies.GetAsync("b-1250000000")));
    }

    [Fact]
    public async Task SyncTasks_InsertCapListUpdateDelete_WithBooleansAndNulls()
    {
        var repository = new SyncTaskRepository(Database);
        SyncTask Task(string id) => new()
        {
            Id = id, ProjectId = "p", SourceType = "s3", SourceCloudType = "AWS", SourceEndpoint = "http://s3.example", DestinationBucket = "d-1250000000",
            MetadataMigration = true, SyncInterval = 300, Status = "STOPPED", CreateTime = 1000 + id.Length, Description = "é",
        };
        Assert.True((await repository.InsertAsync(Task("a"), 2, "replica-1", 9000)));
        Assert.True((await repository.InsertAsync(Task("bb"), 2, "replica-1", 9000)));
        Assert.False((await repository.InsertAsync(Task("ccc"), 2, "replica-1", 9000)));

        var a = (await repository.GetAsync("p", "a"))!;
        Assert.True(a.MetadataMigration);
        Assert.Equal(300, a.SyncInterval);
        Assert.Null(a.LastStartTime);
        Assert.Equal("é", a.Description);
        Assert.True((await repository.TryStartAsync("a", "replica-1", 9000, 5000)));
        Assert.False((await repository.TryStartAsync("a", "replica-1", 9000, 7000)));
        Assert.Equal(5000, (await repository.GetAsync("a"))!.LastStartTime);
        await repository.PassDoneAsync("a", 6000, 10, 4, null);
        foreach (var tally in new[] { SyncTaskRepository.CopyDone("a", copied: true, 123, null), SyncTaskRepository.CopyDone("a", copied: false, 0, "boom") })
        {
            await Database.ExecuteAsync(tally.Sql, default, [.. tally.Parameters]);
        }
        var after = (await repository.GetAsync("a"))!;
        Assert.Equal((10L, 4L, 1L, 1L, 123L, "boom"), (after.Listed, after.Skipped, after.Copied, after.Failed, after.Bytes, after.LastError));
        Assert.Equal(["a", "bb"], (await repository.ListAsync("p")).Select(t => t.Id));
        Assert.Equal(Database.IsPostgres ? 0 : 1, (await repository.StopAllAtStartupAsync()));
        Assert.True((await repository.DeleteAsync("p", "bb")));
        Assert.Equal(["a"], (await repository.IdsAsync()));
    }

    [Fact]
    public async Task SyncTasks_AreStartedOnce_RunOnlyByTheirOwner_AndStopWhenTheOwnersHoldRunsOut()
    {
        var repository = new SyncTaskRepository(Database);
        SyncTask Task(string id) => new()
        {
            Id = id, ProjectId = "o", SourceType = "s3", SourceCloudType = "AWS", SourceEndpoint = "http://s3.example", DestinationBucket = "d-1250000000",
            SyncInterval = 60, Status = "SYNCHRONIZING", CreateTime = 1000, LastStartTime = 1000,
        };
        Assert.True(await repository.InsertAsync(Task("x"), 10, "replica-1", 10_000));
        Assert.True(await repository.InsertAsync(Task("y"), 10, "replica-2", 10_000));

        // Each replica runs only its own; nobody starts a task another replica runs.
        Assert.Equal(["x"], (await repository.SynchronizingAsync(["x", "y"], "replica-1")).Select(t => t.Id));
        Assert.Equal(["y"], (await repository.SynchronizingAsync(["x", "y"], "replica-2")).Select(t => t.Id));
        Assert.False(await repository.TryStartAsync("y", "replica-1", 20_000, 2000));

        // replica-1 lives on (renews), replica-2 was lost: only its task stops.
        await repository.RenewAsync("replica-1", 20_000);
        Assert.Equal(1, await repository.StopOrphanedAsync(15_000));
        Assert.Equal(("SYNCHRONIZING", "STOPPED"), ((await repository.GetAsync("x"))!.Status, (await repository.GetAsync("y"))!.Status));
        Assert.Empty(await repository.SynchronizingAsync(["y"], "replica-2"));

        // Started again with its keys on replica-1, it is replica-1's; replica-1's shutdown stops both.
        Assert.True(await repository.TryStartAsync("y", "replica-1", 20_000, 16_000));
        Assert.Equal(["x", "y"], (await repository.SynchronizingAsync(["x", "y"], "replica-1")).Select(t => t.Id));
        Assert.Equal(0, await repository.StopOrphanedAsync(19_000));
        Assert.Equal(2, await repository.StopOwnedAsync("replica-1"));
        Assert.All(await repository.ListAsync("o"), t => Assert.Equal("STOPPED", t.Status));
        Assert.Empty(await repository.SynchronizingAsync(["x", "y"], "replica-1"));
    }

    [Fact]
    public async Task VodSessions_AreClaimedOnce()
    {
        var sessions = new VodSessions(Database, _time);
        Assert.True((await sessions.TryClaimAsync("s1")));
        Assert.False((await sessions.TryClaimAsync("s1")));
        Assert.True((await sessions.TryClaimAsync("s2")));
    }
}

public sealed class SqliteControlDatabaseTests : ControlDatabaseTests
{
    private readonly string _path;

    public SqliteControlDatabaseTests()
        : this(SqliteTestFile.NewPath())
    {
    }

    private SqliteControlDatabaseTests(string path)
        : base(new ControlDatabase($"Data Source={path}", NullLogger<ControlDatabase>.Instance)) => _path = path;

    public override void Dispose()
    {
        base.Dispose();
        SqliteTestFile.Delete(_path);
    }
}

public sealed class PostgresControlDatabaseTests(PostgresFixture postgres)
    : ControlDatabaseTests(PostgresFixture.Open(postgres.NewDatabase())), IClassFixture<PostgresFixture>;
