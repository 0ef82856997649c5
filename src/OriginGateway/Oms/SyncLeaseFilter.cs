using OriginGateway.Tasks;

namespace OriginGateway.Oms;

/// <summary>Keeps a replica from leasing the copies of sync tasks whose keys it does not hold.</summary>
internal sealed class SyncLeaseFilter(SyncTaskRepository repository, SyncKeys keys) : ITaskLeaseFilter
{
    public IEnumerable<string> ExcludedHosts() =>
        repository.Ids().Where(id => !keys.Owns(id)).Select(SyncCopyHandler.Host);
}
