using OriginGateway.FrontDoor;
using OriginGateway.Rules;

namespace OriginGateway.OriginPull;

/// <summary>A miss that a rule fired on: the request, the rule, and the origin request it builds.</summary>
internal sealed record OriginPullContext(DataRequest Request, CompiledRule Rule, OriginRequestPlan Plan)
{
    public string Action => Rule.ActionName;

    /// <summary>The origin host that answered (after failover), once known; null when none was contacted for this client.</summary>
    public string? OriginHost { get; set; }

    /// <summary>The body bytes the action sent to the client, when it streamed one; else the response's own length counts.</summary>
    public long? BytesSent { get; set; }

    /// <summary>The answer to a pull that got nothing usable from the origin: 424 <c>OriginPullFailed</c> naming why.</summary>
    public Task AnswerFailedAsync(string reason) => Request.ErrorAsync(424, "OriginPullFailed", $"The origin pull failed: {reason}.");
}
