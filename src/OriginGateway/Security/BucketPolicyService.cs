using System.Collections.Concurrent;
using System.Text;
using OriginGateway.Buckets;
using OriginGateway.Persistence;

namespace OriginGateway.Security;

/// <summary>
/// Bucket policies: stored in the control database, parsed once per change, and asked whether the
/// service principal may write a key. A bucket with no policy lets the service write (§3.1).
/// </summary>
internal sealed class BucketPolicyService
{
    public const string PutObject = "name/cos:PutObject";

    private readonly ConcurrentDictionary<string, Holder> _policies = new(StringComparer.Ordinal);
    private readonly BucketPolicyRepository repository;
    private readonly Coordination.IClusterBus bus;

    /// <summary>Policies are read from the control database when first needed, and again after another replica changed them.</summary>
    public BucketPolicyService(BucketPolicyRepository repository, Coordination.IClusterBus bus)
    {
        this.repository = repository;
        this.bus = bus;
        // Another replica's change is read in the background; the policy in force stays until it is,
        // so reads never wait on the database.
        bus.Received += message =>
        {
            if (message.Kind == Coordination.ClusterMessageKind.PolicyChanged)
            {
                Dependencies.DatabaseRetry.InBackground(() => _policies[message.Scope] = Read(message.Scope));
            }
        };
        bus.Reconnected += () => Dependencies.DatabaseRetry.InBackground(() =>
        {
            foreach (var bucket in _policies.Keys)
            {
                _policies[bucket] = Read(bucket);
            }
        });
    }

    /// <summary>Reads every bucket's policy once (at start-up), so that no request has to.</summary>
    public void LoadAll(IEnumerable<string> bucketNames)
    {
        foreach (var bucket in bucketNames)
        {
            _policies[bucket] = Read(bucket);
        }
    }

    private Holder Read(string bucket) =>
        new(repository.Get(bucket) is { } document ? BucketPolicy.Parse(Encoding.UTF8.GetBytes(document), out _) : null);

    /// <summary>Whether asynchronous origin-pull writes (tasks, Proxy background stores) may store this key.</summary>
    public bool ServiceMayWrite(Bucket bucket, string key) =>
        Load(bucket.Name) is not { } policy || policy.AllowsService(PutObject, bucket.Name, bucket.AppId, bucket.Region, key);

    /// <summary>Whether the bucket policy explicitly denies everyone the read <paramref name="action"/> (<c>name/cos:GetObject</c> or <c>name/cos:HeadObject</c>) of this key.</summary>
    public bool DeniesAnyone(Bucket bucket, string action, string key) =>
        Load(bucket.Name) is { } policy && policy.DeniesAnyone(action, bucket.Name, bucket.AppId, bucket.Region, key);

    public string? GetDocument(string bucket) => repository.Get(bucket);

    /// <summary>Stores a policy; returns the MalformedPolicy message when it is refused.</summary>
    public string? Put(string bucket, byte[] document)
    {
        if (BucketPolicy.Parse(document, out var error) is not { } policy)
        {
            return error;
        }
        repository.Put(bucket, Encoding.UTF8.GetString(BucketPolicy.Normalize(document)));
        _policies[bucket] = new Holder(policy);
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.PolicyChanged, bucket, ""));
        return null;
    }

    public void Delete(string bucket)
    {
        repository.Delete(bucket);
        _policies[bucket] = new Holder(null);
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.PolicyChanged, bucket, ""));
    }

    /// <summary>The bucket's parsed policy (read from the database once, then kept until it changes).</summary>
    private BucketPolicy? Load(string bucket) => _policies.TryGetValue(bucket, out var held) ? held.Policy : _policies.GetOrAdd(bucket, Read).Policy;

    private sealed record Holder(BucketPolicy? Policy);
}
