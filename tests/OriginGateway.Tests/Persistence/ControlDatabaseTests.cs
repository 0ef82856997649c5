using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Oms;
using OriginGateway.Persistence;
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
        Assert.Equal(ControlDatabaseMigrations.All.Count, database.Migrate(ControlDatabaseMigrations.All));
        Assert.Equal(0, database.Migrate(ControlDatabaseMigrations.All));
    }

    private protected ControlDatabase Database { get; }

    public virtual void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void BucketDocuments_PutReplaceGetDelete_PerTable()
    {
        var origins = new OriginConfigurationRepository(Database, _time);
        var policies = new BucketPolicyRepository(Database, _time);
        var cors = new CorsConfigurationRepository(Database, _time);

        origins.Put("b-1250000000", "<OriginConfiguration/>", "config/origin/b.xml");
        origins.Put("b-1250000000", "<OriginConfiguration><x/></OriginConfiguration>");
        policies.Put("b-1250000000", "{\"Statement\":[]}");

        Assert.Equal("<OriginConfiguration><x/></OriginConfiguration>", origins.Get("b-1250000000"));
        Assert.Equal("{\"Statement\":[]}", policies.Get("b-1250000000"));
        Assert.Null(cors.Get("b-1250000000"));
        Assert.True(origins.Delete("b-1250000000"));
        Assert.False(origins.Delete("b-1250000000"));
        Assert.Null(origins.Get("b-1250000000"));
        Assert.NotNull(policies.Get("b-1250000000"));
    }

    [Fact]
    public void SyncTasks_InsertCapListUpdateDelete_WithBooleansAndNulls()
    {
        var repository = new SyncTaskRepository(Database);
        SyncTask Task(string id) => new()
        {
            Id = id, ProjectId = "p", SourceType = "s3", SourceCloudType = "AWS", SourceEndpoint = "http://s3.example", DestinationBucket = "d-1250000000",
            MetadataMigration = true, SyncInterval = 300, Status = "STOPPED", CreateTime = 1000 + id.Length, Description = "é",
        };
        Assert.True(repository.Insert(Task("a"), 2));
        Assert.True(repository.Insert(Task("bb"), 2));
        Assert.False(repository.Insert(Task("ccc"), 2));

        var a = repository.Get("p", "a")!;
        Assert.True(a.MetadataMigration);
        Assert.Equal(300, a.SyncInterval);
        Assert.Null(a.LastStartTime);
        Assert.Equal("é", a.Description);
        repository.SetStatus("a", "SYNCHRONIZING", 5000);
        repository.SetStatus("a", "SYNCHRONIZING", null);
        Assert.Equal(5000, repository.Get("a")!.LastStartTime);
        repository.PassDone("a", 6000, 10, 4, null);
        repository.CopyDone("a", copied: true, 123, null);
        repository.CopyDone("a", copied: false, 0, "boom");
        var after = repository.Get("a")!;
        Assert.Equal((10L, 4L, 1L, 1L, 123L, "boom"), (after.Listed, after.Skipped, after.Copied, after.Failed, after.Bytes, after.LastError));
        Assert.Equal(["a", "bb"], repository.List("p").Select(t => t.Id));
        Assert.Equal(1, repository.StopAll());
        Assert.True(repository.Delete("p", "bb"));
        Assert.Equal(["a"], repository.Ids());
    }

    [Fact]
    public void VodSessions_AreClaimedOnce()
    {
        var sessions = new VodSessions(Database, _time);
        Assert.True(sessions.TryClaim("s1"));
        Assert.False(sessions.TryClaim("s1"));
        Assert.True(sessions.TryClaim("s2"));
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
    : ControlDatabaseTests(new ControlDatabase(DatabaseProvider.Postgres, postgres.NewDatabase(), NullLogger<ControlDatabase>.Instance)), IClassFixture<PostgresFixture>;
