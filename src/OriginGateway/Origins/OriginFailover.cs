namespace OriginGateway.Origins;

/// <summary>
/// When an origin request moves on to the next candidate host (the chosen host's <c>StandbyHostName_1</c>, <c>_2</c>, …):
/// the Mirror's fetcher and the Proxy's forward decide it here alike. No answer at all (a connection that failed or
/// was refused by the egress guard, a timeout) moves on; of the answers, a 5xx or a status the rule lists in
/// <c>HTTPStandbyCode</c>.
/// </summary>
internal static class OriginFailover
{
    /// <summary>Whether an origin's answer of <paramref name="status"/> moves on to the next candidate.</summary>
    public static bool MovesOn(int status, IReadOnlySet<int> standbyStatusCodes) => status >= 500 || standbyStatusCodes.Contains(status);
}
