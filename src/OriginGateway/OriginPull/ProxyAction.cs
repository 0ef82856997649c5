using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OriginGateway.Dependencies;
using OriginGateway.Egress;
using OriginGateway.FrontDoor;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;
using OriginGateway.Tasks;
using Yarp.ReverseProxy.Forwarder;

namespace OriginGateway.OriginPull;

/// <summary>
/// Proxy (async origin-pull): YARP's <see cref="IHttpForwarder"/> sends the origin request and passes the origin's
/// status and headers through (Range passed on, origin errors passed through; no answer at all is the gateway's 424
/// <c>OriginPullFailed</c>, as for a Mirror). An origin that gives no answer, a 5xx or a status of the rule's
/// <c>HTTPStandbyCode</c> moves the forward to the host's standbys in order, as a Mirror's fetch does
/// (<see cref="OriginFailover"/>): nothing of such an answer reaches the client; the last candidate's answer is passed
/// through whatever it is. The body goes from the origin's
/// connection straight into the client's response through the body pump (<see cref="ForwardedBody"/>), and the object
/// is stored off the client's path: a full 200 is teed into the store as it streams; anything else (a ranged request,
/// a 206, a client that left, a body that did not verify) queues one de-duplicated background fill. An explicit
/// HttpRedirectCode answers that redirect and still stores in the background; <c>CopyOriginData=false</c> stores nothing.
/// </summary>
internal sealed partial class ProxyAction(
    IHttpForwarder forwarder,
    OriginHttpClient client,
    TaskEngine engine,
    OriginIngest ingest,
    BucketPolicyService policies,
    HostSelector hosts,
    HostHealth health,
    GatewayMetrics metrics,
    OriginPullOptions options,
    ILogger<ProxyAction> logger)
{
    private readonly OriginIngest _ingest = ingest;
    private readonly GatewayMetrics _metrics = metrics;
    private readonly TimeSpan _bodyIdleTimeout = options.BodyIdleTimeout;
    private readonly ILogger _logger = logger;

    /// <summary>
    /// YARP's activity timeout bounds the wait for the origin's headers: <c>OriginPull:ResponseHeadersTimeout</c>, as for
    /// every origin request (YARP's own default is 100 s). The body is not under it (see <see cref="Transformer"/>).
    /// </summary>
    private readonly ForwarderRequestConfig _requestConfig = new()
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = options.ResponseHeadersTimeout,
    };

    public async Task HandleAsync(OriginPullContext pull)
    {
        var request = pull.Request;
        var context = request.Context;
        if (pull.Rule.ExplicitRedirectCode is { } code)
        {
            // The redirect names the rule's host (RedirectAction); the background store fails over as a Mirror's fetch does.
            pull.OriginHost = pull.Rule.Hosts[0].HostName;
            RedirectAction.Handle(pull, code);
            StoreInBackground(pull);
            return;
        }

        var candidates = hosts.Candidates(pull.Rule);
        var clientRange = context.Request.Headers.Range.ToString();
        for (var i = 0; ; i++)
        {
            var host = candidates[i];
            var last = i == candidates.Count - 1;
            pull.OriginHost = host;
            var transformer = new Transformer(pull, pull.Plan.UrlFor(host), clientRange.Length > 0 ? clientRange : null, last ? null : pull.Rule.StandbyStatusCodes, this);
            // The forwarding connections' reads go on on the socket engine's event thread (OriginHttpClient.ForwardingInvoker):
            // what runs there is the body pump and, after the forward, the request's non-blocking bookkeeping (metrics, queued
            // log lines). Store work — the tee's session, its commit, a background fill queued — and a forward that failed
            // or moved on leave it first.
            var error = await forwarder.SendAsync(context, pull.Plan.AuthorityFor(host), client.ForwardingInvoker, _requestConfig, transformer).ConfigureAwait(false);
            var reason = error != ForwarderError.None && !context.Response.HasStarted ? FailureReason(error, context) : null;
            if (pull.Rule.CopyOriginData || error != ForwarderError.None || transformer.MovedOn)
            {
                await EventThreads.Leave();
            }
            await transformer.FinishAsync(error).ConfigureAwait(false);
            // Host health as the fetcher keeps it: no answer (but the egress guard's refusal, which says nothing of the host) or
            // a 5xx counts against the host, any other answer for it.
            if (reason is OriginFailure.OriginTimeout or OriginFailure.OriginUnavailable || transformer.Status >= 500)
            {
                health.Failed(host);
            }
            else if (transformer.Status is not null)
            {
                health.Succeeded(host);
            }
            if (transformer.MovedOn || (reason is not null && !last))
            {
                // Nothing of this host's answer went out: the next candidate is asked on a clean response.
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    var keyHash = KeyHash.Of(request.Key);
                    var why = reason ?? "HTTP " + transformer.Status;
                    LogFailover(_logger, request.Bucket.Name, keyHash, host, why);
                }
                _metrics.Failover(host);
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = null;
                context.Features.Set<IForwarderErrorFeature>(null);
                continue;
            }
            if (reason is not null)
            {
                // No answer came from the last candidate (YARP left an empty 502 or 504): the client gets the gateway's
                // error, as a Mirror pull that failed does.
                await pull.AnswerFailedAsync(reason).ConfigureAwait(false);
            }
            return;
        }
    }

    /// <summary>Why a forward got no answer, in the fetcher's words; null when the client left.</summary>
    private static string? FailureReason(ForwarderError error, HttpContext context) => error switch
    {
        ForwarderError.RequestCanceled => null,
        ForwarderError.RequestTimedOut => OriginFailure.OriginTimeout,
        _ when EgressDeniedException.IsDenial(context.Features.Get<IForwarderErrorFeature>()?.Exception, out _) => OriginFailure.EgressDenied,
        _ => OriginFailure.OriginUnavailable,
    };

    private void StoreInBackground(OriginPullContext pull)
    {
        if (!pull.Rule.CopyOriginData)
        {
            return;
        }
        if (!MayStore(pull))
        {
            return;
        }
        var request = new OriginFetchRequest(pull.Plan.Scheme, pull.Plan.PathAndQuery, pull.Plan.Headers, hosts.Candidates(pull.Rule), pull.Rule.FollowRedirection, pull.Rule.StandbyStatusCodes);
        // Queued off the request path: the answer never waits on the control database.
        _ = QueueStoreAsync(pull.Request.Bucket.Name, pull.Request.Key, request);
    }

    private async Task QueueStoreAsync(string bucket, string key, OriginFetchRequest request)
    {
        try
        {
            await engine.SubmitAsync(ProxyStoreHandler.Create(bucket, key, request)).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException e)
        {
            // The client already has its answer; a store that could not be queued is only a later miss.
            _metrics.CommitRejected("QueueFailed");
            LogQueueFailed(_logger, bucket, KeyHash.Of(key), e);
        }
    }

    /// <summary>Stores are the service principal's writes: the bucket policy must allow them.</summary>
    private bool MayStore(OriginPullContext pull)
    {
        if (policies.ServiceMayWrite(pull.Request.Bucket, pull.Request.Key))
        {
            return true;
        }
        _metrics.CommitRejected("AccessDenied");
        LogStoreDenied(_logger, pull.Request.Bucket.Name, KeyHash.Of(pull.Request.Key));
        return false;
    }

    /// <summary>
    /// Shapes the origin request exactly as the rule says, sends the origin's body to the client itself (YARP is told
    /// that nothing is left to copy) and tees a full 200 into the store.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The write session is disposed in FinishAsync.")]
    private sealed class Transformer(OriginPullContext pull, Uri url, string? range, IReadOnlySet<int>? moveOnStatusCodes, ProxyAction owner) : HttpTransformer
    {
        private ObjectWriteSession? _session;
        private IngestAdmission? _admission;
        private HttpResponseMessage? _response;
        private bool _queueBackground;
        private long _sent;

        /// <summary>Why the body did not reach the client whole (<c>Truncated</c>, <c>OriginTimeout</c>, <c>ClientGone</c>); null when it did or was not sent here.</summary>
        private string? _bodyFailure;
        private bool _storeFailed;

        public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            // Only the headers the rule allows: none of the client's are copied by default.
            proxyRequest.RequestUri = url;
            proxyRequest.Method = HttpMethod.Get;
            proxyRequest.Content = null;
            foreach (var (name, value) in pull.Plan.Headers)
            {
                proxyRequest.Headers.TryAddWithoutValidation(name, value);
            }
            if (range is not null)
            {
                proxyRequest.Headers.TryAddWithoutValidation("Range", range);
            }
            return ValueTask.CompletedTask;
        }

        /// <summary>The origin answered with a status that moves on to the next candidate (a 5xx, a standby code): nothing of it was copied.</summary>
        public bool MovedOn { get; private set; }

        /// <summary>The status the origin answered with; null when it gave no answer.</summary>
        public int? Status { get; private set; }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            Status = (int?)proxyResponse?.StatusCode;
            if (Status is { } answered && moveOnStatusCodes is not null && OriginFailover.MovesOn(answered, moveOnStatusCodes))
            {
                // Not this host's answer to give: YARP disposes it, and the status it set is taken back by the caller.
                MovedOn = true;
                return false;
            }
            var headers = httpContext.Response.Headers;
            var requestId = headers[RequestIds.HeaderName];
            if (proxyResponse is not null)
            {
                OriginResponseRules.DropUnsendableHeaders(proxyResponse);
            }
            var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
            _response = proxyResponse;
            headers[RequestIds.HeaderName] = requestId;
            headers[ObjectReadHandler.ActionHeader] = "proxy";
            headers[OriginPullDispatcher.RuleHeader] = pull.Rule.PriorityText;
            if (proxyResponse is null)
            {
                return proceed;
            }
            if (pull.Rule.CopyOriginData)
            {
                await AdmitAsync(proxyResponse).ConfigureAwait(false);
            }
            var status = (int)proxyResponse.StatusCode;
            if (!proceed || status is < 200 or 204 or 205 or 304)
            {
                // No body to send.
                return proceed;
            }
            // The body does not hang on YARP's activity token (the headers timeout, reset by YARP's own copy, which does
            // not run here): each read has the idle timeout, and the client's leaving ends the copy.
            (_sent, _bodyFailure, _storeFailed) = await ForwardedBody.SendAsync(httpContext, proxyResponse, _session, owner._bodyIdleTimeout).ConfigureAwait(false);
            // YARP disposes the origin's answer and copies nothing more.
            return false;
        }

        private async Task AdmitAsync(HttpResponseMessage proxyResponse)
        {
            // Admission and the store's write session are store work: off the event thread the answer's headers came in on.
            await EventThreads.Leave();
            var status = proxyResponse.StatusCode;
            if (status == HttpStatusCode.OK && range is null)
            {
                // A whole answer is teed into the store when the one ingest pipeline admits it; one it refuses, or
                // admits only to be served (too large, unframed), is neither teed nor fetched again to be stored.
                var admission = owner._ingest.Admit(proxyResponse, url, rangeRequested: false);
                if (admission.Verdict == IngestVerdict.Store && owner.MayStore(pull))
                {
                    _admission = admission;
                    // Committed only while the key still has no object (a client's PUT meanwhile is kept).
                    _session = pull.Request.Bucket.Store.BeginWrite(pull.Request.Key, admission.Write! with { Condition = WriteCondition.StillAbsent });
                }
            }
            else if (status is HttpStatusCode.OK or HttpStatusCode.PartialContent)
            {
                // Part of the object: the whole is stored by a background fill.
                _queueBackground = true;
            }
        }

        public async Task FinishAsync(ForwarderError error)
        {
            pull.BytesSent = _sent;
            owner._metrics.BytesServed("origin", _sent);
            using (_session)
            {
                if (_session is not null && _admission is not null && _response is not null)
                {
                    // A forward that broke, or a tee the store refused, is a body that did not arrive whole here.
                    var copyFailure = error switch
                    {
                        ForwarderError.None => _bodyFailure ?? (_storeFailed ? DependencyFailure.StoreFailed : ""),
                        ForwarderError.RequestTimedOut => OriginFailure.OriginTimeout,
                        _ => OriginFailure.ClientGone,
                    };
                    var ingested = await owner._ingest.FinishAsync(pull.Request.Bucket.Name, _admission, _session, _session.Length, copyFailure, CancellationToken.None).ConfigureAwait(false);
                    // Not whole here: one background fill stores it. Whole but not kept (too large, or the key got an
                    // object meanwhile): nothing to retry.
                    _queueBackground = ingested.Status == IngestStatus.Discarded;
                }
            }
            if (_queueBackground)
            {
                owner.StoreInBackground(pull);
            }
            if ((error != ForwarderError.None || _bodyFailure is not null) && owner._logger.IsEnabled(LogLevel.Information))
            {
                // YARP's error and why it happened (an unreachable host, a certificate refused: OriginFailure.Describe).
                var failure = error == ForwarderError.None ? _bodyFailure!
                    : pull.Request.Context.Features.Get<IForwarderErrorFeature>()?.Exception is { } exception ? $"{error}: {OriginFailure.Describe(exception)}"
                    : error.ToString();
                var keyHash = KeyHash.Of(pull.Request.Key);
                LogForwardError(owner._logger, pull.Request.Bucket.Name, keyHash, failure);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.ProxyStoreQueueFailed, Level = LogLevel.Error, Message = "Proxy in bucket {Bucket} key#{KeyHash}: the background store could not be queued")]
    private static partial void LogQueueFailed(ILogger logger, string bucket, string keyHash, Exception exception);

    [LoggerMessage(EventId = LogEvents.ProxyStoreRefused, Level = LogLevel.Warning, Message = "Proxy in bucket {Bucket} key#{KeyHash}: not stored, the bucket policy does not let the service principal write the key")]
    private static partial void LogStoreDenied(ILogger logger, string bucket, string keyHash);

    [LoggerMessage(EventId = LogEvents.ProxyFailover, Level = LogLevel.Information, Message = "Proxy in bucket {Bucket} key#{KeyHash}: origin {Host} failed ({Reason}); its next standby is asked")]
    private static partial void LogFailover(ILogger logger, string bucket, string keyHash, string host, string reason);

    [LoggerMessage(EventId = LogEvents.ProxyForwardError, Level = LogLevel.Information, Message = "Proxy in bucket {Bucket} key#{KeyHash} ended with {Error}")]
    private static partial void LogForwardError(ILogger logger, string bucket, string keyHash, string error);
}
