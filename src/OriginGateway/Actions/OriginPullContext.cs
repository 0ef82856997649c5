using OriginGateway.Buckets;
using OriginGateway.Rules;

namespace OriginGateway.Actions;

/// <summary>A miss that a rule fired on: the request, the rule, and the origin request it builds.</summary>
internal sealed record OriginPullContext(DataRequest Request, CompiledRule Rule, OriginRequestPlan Plan)
{
    public string Action => Rule.ActionName;
}
