using System.Text;
using OriginGateway.Buckets;
using OriginGateway.Persistence;

namespace OriginGateway.Cors;

/// <summary>Owns each bucket's CORS configuration: parse → store → swap into the bucket; loaded at start-up.</summary>
internal sealed class CorsService
{
    private readonly BucketRegistry buckets;
    private readonly CorsConfigurationRepository repository;
    private readonly Coordination.IClusterBus bus;

    /// <summary>Other replicas' changes arrive on <paramref name="bus"/> and are reloaded from the control database.</summary>
    public CorsService(BucketRegistry buckets, CorsConfigurationRepository repository, Coordination.IClusterBus bus)
    {
        this.buckets = buckets;
        this.repository = repository;
        this.bus = bus;
        bus.Received += message =>
        {
            if (message.Kind == Coordination.ClusterMessageKind.CorsChanged && buckets.Find(message.Scope) is { } bucket)
            {
                Dependencies.DatabaseRetry.InBackground(() =>
                    bucket.Cors = repository.Get(bucket.Name) is { } stored ? CorsConfiguration.Parse(Encoding.UTF8.GetBytes(stored), out _, out _) : null);
            }
        };
        bus.Reconnected += () => Dependencies.DatabaseRetry.InBackground(() => LoadAll());
    }

    /// <summary>Loads every bucket's stored configuration. Returns the ones that no longer parse (they stop start-up).</summary>
    public IReadOnlyList<string> LoadAll()
    {
        var problems = new List<string>();
        foreach (var bucket in buckets.All)
        {
            if (repository.Get(bucket.Name) is not { } stored)
            {
                bucket.Cors = null;
                continue;
            }
            bucket.Cors = CorsConfiguration.Parse(Encoding.UTF8.GetBytes(stored), out var errors, out _);
            if (bucket.Cors is null)
            {
                problems.Add($"the stored CORS configuration of bucket {bucket.Name} no longer parses: {string.Join("; ", errors)}");
            }
        }
        return problems;
    }

    public string? GetDocument(Bucket bucket) => repository.Get(bucket.Name);

    public void Put(Bucket bucket, CorsConfiguration configuration)
    {
        repository.Put(bucket.Name, configuration.Write());
        bucket.Cors = configuration;
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.CorsChanged, bucket.Name, ""));
    }

    public void Delete(Bucket bucket)
    {
        repository.Delete(bucket.Name);
        bucket.Cors = null;
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.CorsChanged, bucket.Name, ""));
    }
}
