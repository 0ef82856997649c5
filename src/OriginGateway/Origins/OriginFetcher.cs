using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using OriginGateway.Egress;
using OriginGateway.Observability;
using OriginGateway.Protocol;

namespace OriginGateway.Origins;

/// <summary>
/// The one origin fetcher (Mirror fills, Proxy background stores, and later every task kind):
/// tries the candidates in order, fails over on connection errors, timeouts, 5xx and the rule's
/// standby codes, follows redirects itself (each hop dialled through the egress guard), caps
/// concurrency per host and keeps passive host health.
/// </summary>
internal sealed partial class OriginFetcher(
    OriginHttpClient client,
    EgressGuard guard,
    OriginPullOptions options,
    HostHealth health,
    HostLimiter limiter,
    GatewayMetrics metrics,
    ILogger<OriginFetcher> logger)
{
    private const int MaxErrorBody = 64 * 1024;

    public async Task<OriginFetchResult> FetchAsync(OriginFetchRequest request, CancellationToken cancellationToken)
    {
        string reason = OriginFailure.OriginUnavailable;
        int? lastStatus = null;
        byte[]? lastBody = null;
        var notFound = 0;
        var attempts = 0;
        string? lastHost = null;
        string? lastDetail = null;
        for (var i = 0; i < request.Candidates.Count; i++)
        {
            var host = request.Candidates[i];
            if (i > 0)
            {
                metrics.Failover(request.MetricLabel ?? request.Candidates[i - 1]);
            }
            lastHost = host;
            attempts++;
            // Client URLs (tasks) are capped per host by the task engine, and their hosts are not
            // rule hosts: no per-host slot, no health record (both would grow without bound).
            var slot = request.ClientUrl ? NoSlot.Instance : await limiter.AcquireAsync(host, cancellationToken).ConfigureAwait(false);
            var hostHealth = request.ClientUrl ? null : health;
            var keepSlot = false;
            try
            {
                var attempt = await SendFollowingRedirectsAsync(request, host, options.ResponseHeadersTimeout, cancellationToken).ConfigureAwait(false);
                if (attempt.Response is not { } response)
                {
                    reason = attempt.Reason;
                    lastDetail = attempt.Detail;
                    lastStatus = null;
                    lastBody = null;
                    if (attempt.CountsAsHostFailure)
                    {
                        hostHealth?.Failed(host);
                    }
                    if (attempt.Reason == OriginFailure.TooManyRedirects)
                    {
                        break;
                    }
                    continue;
                }

                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    hostHealth?.Succeeded(host);
                    keepSlot = true;
                    return new OriginFetchResult(OriginOutcome.Success, response, attempt.Url, host, "", status, null, slot);
                }
                if (status is >= 300 and < 400)
                {
                    hostHealth?.Succeeded(host);
                    keepSlot = true;
                    return new OriginFetchResult(OriginOutcome.Redirect, response, attempt.Url, host, "", status, null, slot);
                }

                lastStatus = status;
                lastBody = await ReadErrorBodyAsync(response, cancellationToken).ConfigureAwait(false);
                response.Dispose();
                if (status >= 500)
                {
                    hostHealth?.Failed(host);
                    reason = OriginFailure.OriginError;
                }
                else
                {
                    hostHealth?.Succeeded(host);
                    if (status == 404)
                    {
                        notFound++;
                        reason = OriginFailure.NotFound;
                    }
                    else
                    {
                        reason = OriginFailure.OriginError;
                    }
                }
                if (!OriginFailover.MovesOn(status, request.StandbyStatusCodes))
                {
                    break;
                }
            }
            finally
            {
                if (!keepSlot)
                {
                    slot.Dispose();
                }
            }
        }

        // NoSuchKey only when every candidate tried answered 404.
        if (notFound > 0 && notFound == attempts)
        {
            return new OriginFetchResult(OriginOutcome.NotFound, null, null, lastHost, OriginFailure.NotFound, 404, lastBody, null);
        }
        return new OriginFetchResult(OriginOutcome.Failed, null, null, lastHost, reason, lastStatus, lastBody, null) { Detail = lastDetail };
    }

    /// <summary>
    /// How the body of <paramref name="result"/> (a Success of <paramref name="request"/>) can be resumed if it breaks
    /// part-way, or null when it cannot be: resuming is off (<c>OriginPull:MaxBodyResumes</c> 0) or the request was itself a
    /// range. Whether the answer can be pinned (a strong ETag) is looked at only if its body breaks.
    /// </summary>
    public OriginBodyResume? Resumable(OriginFetchRequest request, OriginFetchResult result) =>
        options.MaxBodyResumes > 0 && request.Range is null && result.Response is not null && result.Url is not null
            ? new OriginBodyResume(this, request, result, options.MaxBodyResumes)
            : null;

    /// <summary>
    /// One resumption (<see cref="OriginBodyResume"/>): the URL that answered <paramref name="first"/>, from
    /// <paramref name="offset"/>, If-Match <paramref name="etag"/>, through the egress guard like every request. Counted in
    /// <c>origin_gateway_origin_resumes_total{outcome}</c> and logged either way.
    /// </summary>
    internal async Task<HttpResponseMessage?> ResumeAsync(OriginFetchRequest request, OriginFetchResult first, string etag, long offset, string failure, CancellationToken cancellationToken)
    {
        var url = first.Url!;
        var host = first.Host ?? url.Authority;
        var rest = request with
        {
            Scheme = url.Scheme,
            PathAndQuery = url.PathAndQuery,
            Range = "bytes=" + offset.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-",
            IfMatch = etag,
        };
        // Clients are waiting mid-body: the rest's headers may take no longer than a gap in the body could.
        var headersTimeout = options.BodyIdleTimeout < options.ResponseHeadersTimeout ? options.BodyIdleTimeout : options.ResponseHeadersTimeout;
        var attempt = await SendFollowingRedirectsAsync(rest, url.Authority, headersTimeout, cancellationToken).ConfigureAwait(false);
        var refused = attempt.Response is { } response ? OriginResponseRules.NotAResumption(response, first.Response!, offset) : attempt.Detail ?? attempt.Reason;
        if (refused is null)
        {
            metrics.BodyResumed(request.MetricLabel ?? host, "resumed");
            LogBodyResumed(logger, host, failure, offset);
            return attempt.Response;
        }
        attempt.Response?.Dispose();
        metrics.BodyResumed(request.MetricLabel ?? host, "refused");
        LogResumeRefused(logger, host, failure, offset, refused);
        return null;
    }

    private async Task<Attempt> SendFollowingRedirectsAsync(OriginFetchRequest request, string host, TimeSpan headersTimeout, CancellationToken cancellationToken)
    {
        Uri url;
        try
        {
            url = Rules.OriginRequestPlan.Url(request.Scheme, host, request.PathAndQuery);
        }
        catch (UriFormatException)
        {
            return new Attempt(null, null, OriginFailure.OriginUnavailable, false);
        }

        for (var hop = 0; ; hop++)
        {
            if ((request.ClientUrl ? guard.CheckClientUrl(url) : EgressGuard.CheckUrl(url)) is { } refused)
            {
                metrics.EgressDenied();
                LogOriginFailure(logger, host, "EgressDenied: " + refused);
                return new Attempt(null, url, OriginFailure.EgressDenied, false, refused);
            }
            using var message = new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version11 };
            foreach (var (name, value) in request.Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
            if (request.Range is not null)
            {
                message.Headers.TryAddWithoutValidation("Range", request.Range);
            }
            if (request.IfMatch is not null)
            {
                message.Headers.TryAddWithoutValidation("If-Match", request.IfMatch);
            }

            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(headersTimeout);
                try
                {
                    response = await client.Invoker.SendAsync(message, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (EgressDeniedException.IsDenial(e, out var denial))
                {
                    metrics.OriginRequest(request.MetricLabel ?? host, "egress_denied", Stopwatch.GetElapsedTime(started).TotalSeconds);
                    LogOriginFailure(logger, host, denial);
                    return new Attempt(null, url, OriginFailure.EgressDenied, false, denial);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    metrics.OriginRequest(request.MetricLabel ?? host, "timeout", Stopwatch.GetElapsedTime(started).TotalSeconds);
                    // The handler's connect timeout (the name's lookup included) ends in a cancellation carrying a
                    // TimeoutException; the headers deadline is this method's own.
                    if (e.InnerException is TimeoutException)
                    {
                        LogConnectTimedOut(logger, host, options.ConnectTimeout.TotalSeconds);
                    }
                    else
                    {
                        LogHeadersTimedOut(logger, host, headersTimeout.TotalSeconds);
                    }
                    return new Attempt(null, url, OriginFailure.OriginTimeout, true);
                }
                catch (HttpRequestException e)
                {
                    metrics.OriginRequest(request.MetricLabel ?? host, "error", Stopwatch.GetElapsedTime(started).TotalSeconds);
                    var why = OriginFailure.Describe(e);
                    LogOriginFailure(logger, host, why);
                    return new Attempt(null, url, OriginFailure.OriginUnavailable, true, why);
                }
            }
            var status = (int)response.StatusCode;
            metrics.OriginRequest(request.MetricLabel ?? host, status switch { < 300 => "ok", < 400 => "redirect", 404 => "not_found", < 500 => "client_error", _ => "server_error" },
                Stopwatch.GetElapsedTime(started).TotalSeconds);

            if (status is >= 300 and < 400 && request.FollowRedirects && (request.FollowedRedirectCodes?.Contains(status) ?? true) && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= options.MaxRedirects)
                {
                    return new Attempt(null, url, OriginFailure.TooManyRedirects, false);
                }
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                continue;
            }
            return new Attempt(response, url, "", false);
        }
    }

    /// <summary>
    /// An error answer's body (at most <see cref="MaxErrorBody"/> bytes, passed through by rules with transparent error codes),
    /// each read waiting at most the idle timeout; empty when it stalls or breaks before its end.
    /// </summary>
    private async Task<byte[]> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await BoundedRead.ReadPrefixAsync(stream, MaxErrorBody, cancellationToken, options.BodyIdleTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (OriginBodyCopy.ReadFailure(e, cancellationToken) is not null)
        {
            return [];
        }
    }

    private sealed class NoSlot : IDisposable
    {
        public static readonly NoSlot Instance = new();

        public void Dispose()
        {
        }
    }

    private readonly record struct Attempt(HttpResponseMessage? Response, Uri? Url, string Reason, bool CountsAsHostFailure, string? Detail = null);

    [LoggerMessage(EventId = LogEvents.OriginFailure, Level = LogLevel.Information, Message = "Origin {Host} failed: {Reason}")]
    private static partial void LogOriginFailure(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = LogEvents.OriginConnectTimedOut, Level = LogLevel.Information, Message = "Origin {Host} failed: no connection within {Seconds} s (its name's lookup included)")]
    private static partial void LogConnectTimedOut(ILogger logger, string host, double seconds);

    [LoggerMessage(EventId = LogEvents.OriginHeadersTimedOut, Level = LogLevel.Information, Message = "Origin {Host} failed: no response headers within {Seconds} s")]
    private static partial void LogHeadersTimedOut(ILogger logger, string host, double seconds);

    [LoggerMessage(EventId = LogEvents.OriginBodyResumed, Level = LogLevel.Information, Message = "Origin {Host} body ended early ({Reason}) after {Bytes} bytes: resumed from there")]
    private static partial void LogBodyResumed(ILogger logger, string host, string reason, long bytes);

    [LoggerMessage(EventId = LogEvents.OriginResumeRefused, Level = LogLevel.Information, Message = "Origin {Host} body ended early ({Reason}) after {Bytes} bytes and could not be resumed: {Refusal}")]
    private static partial void LogResumeRefused(ILogger logger, string host, string reason, long bytes, string refusal);
}
