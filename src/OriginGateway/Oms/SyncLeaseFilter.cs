using OriginGateway.Tasks;

namespace OriginGateway.Oms;

/// <summary>Keeps a replica from leasing the copies of sync tasks whose keys it does not hold.</summary>
internal sealed class SyncLeaseFilter(SyncTaskRepository repository, SyncKeys keys) : ITaskLeaseFilter
{
    public async Task<IEnumerable<string>> ExcludedHostsAsync(CancellationToken cancellationToken) =>
        (await repository.IdsAsync(cancellationToken).ConfigureAwait(false)).Where(id => !keys.Owns(id)).Select(SyncCopyHandler.Host).ToList();
}
