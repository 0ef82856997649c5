namespace OriginGateway.Tasks;

/// <summary>
/// Hosts whose tasks this replica must not lease (besides those at the per-host cap): a sync task's
/// copies run only where its keys are (<c>02-tasks.md</c> §2.5).
/// </summary>
internal interface ITaskLeaseFilter
{
    Task<IEnumerable<string>> ExcludedHostsAsync(CancellationToken cancellationToken);
}
