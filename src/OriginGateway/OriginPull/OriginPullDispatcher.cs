using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OriginGateway.FrontDoor;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Rules;

namespace OriginGateway.OriginPull;

/// <summary>
/// Where a GET that the bucket cannot answer meets the origin rules: the first rule (by
/// priority) whose status and prefix match decides, and its outcome is final. Guards against
/// loops through <c>Via</c> before anything is fetched.
/// </summary>
internal sealed class OriginPullDispatcher(
    OriginConfigurationService configurations,
    MirrorAction mirror,
    ProxyAction proxy,
    FillRegistry fills,
    NegativeCache negativeCache,
    RecentDecisions decisions,
    TimeProvider time,
    DecisionLog log) : IObjectMissHandler
{
    public const string RuleHeader = "x-origin-rule";
    private const int MaxViaHops = 3;

    /// <summary>Handles the miss when a rule fires; false when none does (the bucket's own answer stands).</summary>
    public async Task<bool> TryHandleAsync(DataRequest request, int bucketStatus)
    {
        var context = request.Context;
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            return false;
        }
        var rule = configurations.RulesOf(request.Bucket).Match(request.Key, bucketStatus);
        if (rule is null)
        {
            return false;
        }

        var started = Stopwatch.GetTimestamp();
        OriginPullContext? pull = null;
        var headers = context.Response.Headers;
        headers[ObjectReadHandler.ActionHeader] = rule.ActionName;
        headers[RuleHeader] = rule.PriorityText;

        var hops = OriginRequestPlan.ViaHops(context.Request.Headers);
        if (hops > MaxViaHops)
        {
            await request.ErrorAsync(508, "LoopDetected", $"The request passed through this gateway {hops} times.").ConfigureAwait(false);
        }
        else if (hops > 0 && rule.Type != OriginType.Redirect && fills.Find(request.Bucket.Name, request.Key) is not null)
        {
            // A rule that points at the gateway itself must end here, not wait on its own fill.
            await request.ErrorAsync(508, "LoopDetected", "The origin request came back to this gateway for a key it is filling.").ConfigureAwait(false);
        }
        else if (rule.Type == OriginType.Mirror && await negativeCache.ContainsAsync(request.Bucket.Name, request.Key).ConfigureAwait(false))
        {
            await request.ErrorAsync(404, "NoSuchKey", "The specified key does not exist (the origin answered 404 recently).").ConfigureAwait(false);
        }
        else
        {
            // The origin request is built only once the guards above let the pull go ahead.
            // A redirect sends no origin request: only its target is built.
            var plan = rule.Type == OriginType.Redirect
                ? OriginRequestPlan.Target(rule, request.Key, context.Request.Scheme, request.RawQuery)
                : OriginRequestPlan.Build(rule, request.Key, context.Request.Scheme, request.RawQuery, context.Request.Headers);
            pull = new OriginPullContext(request, rule, plan);
            switch (rule.Type)
            {
                case OriginType.Redirect:
                    RedirectAction.Handle(pull, rule.RedirectCode);
                    pull.OriginHost = rule.Hosts[0].HostName;
                    break;
                case OriginType.Proxy:
                    await proxy.HandleAsync(pull).ConfigureAwait(false);
                    break;
                default:
                    await mirror.HandleAsync(pull).ConfigureAwait(false);
                    break;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        // What the client got: the body bytes the action sent (else the answer's own length), and the
        // host that answered after any failover ("" when no origin was asked: a guard, a store read).
        var bytes = pull?.BytesSent ?? context.Response.ContentLength ?? 0;
        var originHost = pull?.OriginHost ?? "";
        var requestId = headers[RequestIds.HeaderName].ToString();
        var decision = new OriginDecision(time.GetUtcNow(), request.Bucket.Name, request.Key, rule.Priority, rule.ActionName, originHost, context.Response.StatusCode, bytes, elapsed, requestId);
        decisions.Add(decision);
        // Pulls (Mirror, Proxy) wait on an origin anyway: their line is Information. A Redirect contacts
        // nothing and can run at a hundred thousand a second, where a line each would cost a quarter of
        // the throughput: its line is Debug (the access log and /admin show them too). Keys never reach
        // the log: the line carries a short hash of the key.
        var level = rule.Type == OriginType.Redirect ? LogLevel.Debug : LogLevel.Information;
        if (log.IsEnabled(level))
        {
            log.Write(level, decision);
        }
        return true;
    }
}
