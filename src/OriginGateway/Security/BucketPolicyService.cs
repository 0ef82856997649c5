using System.Collections.Concurrent;
using System.Text;
using OriginGateway.Buckets;
using OriginGateway.Persistence;
using OriginGateway.Storage;

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
                Dependencies.DatabaseRetry.InBackground(async token => _policies[message.Scope] = await ReadAsync(message.Scope, token).ConfigureAwait(false));
            }
        };
        bus.Reconnected += () => Dependencies.DatabaseRetry.InBackground(async token =>
        {
            foreach (var bucket in _policies.Keys)
            {
                _policies[bucket] = await ReadAsync(bucket, token).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Reads every bucket's policy once (at start-up), so that no request has to.</summary>
    public async Task LoadAllAsync(IEnumerable<string> bucketNames, CancellationToken cancellationToken = default)
    {
        foreach (var bucket in bucketNames)
        {
            _policies[bucket] = await ReadAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Holder> ReadAsync(string bucket, CancellationToken cancellationToken) =>
        new(await repository.GetAsync(bucket, cancellationToken).ConfigureAwait(false) is { } document ? BucketPolicy.Parse(Encoding.UTF8.GetBytes(document), out _) : null);

    /// <summary>Whether asynchronous origin-pull writes (tasks, Proxy background stores) may store this key.</summary>
    public bool ServiceMayWrite(Bucket bucket, string key) =>
        Load(bucket.Name) is not { } policy || policy.AllowsService(PutObject, bucket.Name, bucket.AppId, bucket.Region, key);

    /// <summary>Whether the bucket policy explicitly denies everyone the read <paramref name="action"/> (<c>name/cos:GetObject</c> or <c>name/cos:HeadObject</c>) of this key.</summary>
    public bool DeniesAnyone(Bucket bucket, string action, string key) =>
        Load(bucket.Name) is { } policy && policy.DeniesAnyone(action, bucket.Name, bucket.AppId, bucket.Region, key);

    public Task<string?> GetDocumentAsync(string bucket, CancellationToken cancellationToken) => repository.GetAsync(bucket, cancellationToken);

    /// <summary>Stores a policy; returns the MalformedPolicy message when it is refused.</summary>
    public async Task<string?> PutAsync(string bucket, byte[] document, CancellationToken cancellationToken)
    {
        if (BucketPolicy.Parse(document, out var error) is not { } policy)
        {
            return error;
        }
        await repository.PutAsync(bucket, Encoding.UTF8.GetString(BucketPolicy.Normalize(document)), cancellationToken: cancellationToken).ConfigureAwait(false);
        _policies[bucket] = new Holder(policy);
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.PolicyChanged, bucket, ""));
        return null;
    }

    public async Task DeleteAsync(string bucket, CancellationToken cancellationToken)
    {
        await repository.DeleteAsync(bucket, cancellationToken).ConfigureAwait(false);
        _policies[bucket] = new Holder(null);
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.PolicyChanged, bucket, ""));
    }

    /// <summary>The bucket's parsed policy (read from the database once, then kept until it changes).</summary>
    /// <summary>The policy in force: every configured bucket's is loaded at start (<see cref="LoadAllAsync"/>), so a read never waits on the database.</summary>
    private BucketPolicy? Load(string bucket) => _policies.TryGetValue(bucket, out var held) ? held.Policy : null;

    private sealed record Holder(BucketPolicy? Policy);
}
