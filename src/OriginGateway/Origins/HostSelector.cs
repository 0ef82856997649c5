using OriginGateway.Rules;

namespace OriginGateway.Origins;

/// <summary>Picks a rule's origin host: weighted at random among the healthy ones (all when none is), then its standbys in order.</summary>
internal sealed class HostSelector(HostHealth health)
{
    /// <summary>The hosts to try, in order: the chosen weighted host, then its StandbyHostName_1, _2, ….</summary>
    public IReadOnlyList<string> Candidates(CompiledRule rule)
    {
        var host = Choose(rule.Hosts);
        return [host.HostName, .. host.Standbys];
    }

    private CompiledHost Choose(IReadOnlyList<CompiledHost> hosts)
    {
        if (hosts.Count == 1)
        {
            return hosts[0];
        }
        var healthy = hosts.Where(h => health.IsAvailable(h.HostName)).ToList();
        if (healthy.Count == 0)
        {
            healthy = [.. hosts];
        }
        var total = healthy.Sum(h => h.Weight);
        var pick = Random.Shared.Next(total);
        foreach (var host in healthy)
        {
            pick -= host.Weight;
            if (pick < 0)
            {
                return host;
            }
        }
        return healthy[^1];
    }
}
