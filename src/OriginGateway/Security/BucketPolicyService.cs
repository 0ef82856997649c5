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
        bus.Received += message =>
        {
            if (message.Kind == Coordination.ClusterMessageKind.PolicyChanged)
            {
                _policies.TryRemove(message.Scope, out _);
            }
        };
        bus.Reconnected += _policies.Clear;
    }

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
    private BucketPolicy? Load(string bucket) => _policies.TryGetValue(bucket, out var held) ? held.Policy : _policies.GetOrAdd(bucket, name =>
        new Holder(repository.Get(name) is { } document ? BucketPolicy.Parse(Encoding.UTF8.GetBytes(document), out _) : null)).Policy;

    private sealed record Holder(BucketPolicy? Policy);
}
