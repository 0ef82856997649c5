using System.Text;
using OriginGateway.Buckets;
using OriginGateway.Persistence;
using OriginGateway.Storage;

namespace OriginGateway.Cors;

/// <summary>Owns each bucket's CORS configuration: parse → store → swap into the bucket; loaded at start-up.</summary>
internal sealed class CorsService
{
    private readonly BucketRegistry buckets;
    private readonly CorsConfigurationRepository repository;
    private readonly Coordination.IClusterBus bus;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CorsConfiguration> _byBucket = new(StringComparer.Ordinal);

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
                Dependencies.DatabaseRetry.InBackground(async token =>
                    Set(bucket, await repository.GetAsync(bucket.Name, token).ConfigureAwait(false) is { } stored ? CorsConfiguration.Parse(Encoding.UTF8.GetBytes(stored), out _, out _) : null));
            }
        };
        bus.Reconnected += () => Dependencies.DatabaseRetry.InBackground(LoadAllAsync);
    }

    /// <summary>Loads every bucket's stored configuration. Returns the ones that no longer parse (they stop start-up).</summary>
    public async Task<IReadOnlyList<string>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        foreach (var bucket in buckets.All)
        {
            if (await repository.GetAsync(bucket.Name, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                Set(bucket, null);
                continue;
            }
            var configuration = CorsConfiguration.Parse(Encoding.UTF8.GetBytes(stored), out var errors, out _);
            Set(bucket, configuration);
            if (configuration is null)
            {
                problems.Add($"the stored CORS configuration of bucket {bucket.Name} no longer parses: {string.Join("; ", errors)}");
            }
        }
        return problems;
    }

    /// <summary>The bucket's CORS rules in force on this replica, or null when it has none.</summary>
    public CorsConfiguration? ConfigurationOf(Bucket bucket) => _byBucket.GetValueOrDefault(bucket.Name);

    private void Set(Bucket bucket, CorsConfiguration? configuration)
    {
        if (configuration is null)
        {
            _byBucket.TryRemove(bucket.Name, out _);
        }
        else
        {
            _byBucket[bucket.Name] = configuration;
        }
    }

    public Task<string?> GetDocumentAsync(Bucket bucket, CancellationToken cancellationToken) => repository.GetAsync(bucket.Name, cancellationToken);

    public async Task PutAsync(Bucket bucket, CorsConfiguration configuration, CancellationToken cancellationToken)
    {
        await repository.PutAsync(bucket.Name, configuration.Write(), cancellationToken: cancellationToken).ConfigureAwait(false);
        Set(bucket, configuration);
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.CorsChanged, bucket.Name, ""));
    }

    public async Task DeleteAsync(Bucket bucket, CancellationToken cancellationToken)
    {
        await repository.DeleteAsync(bucket.Name, cancellationToken).ConfigureAwait(false);
        Set(bucket, null);
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.CorsChanged, bucket.Name, ""));
    }
}
