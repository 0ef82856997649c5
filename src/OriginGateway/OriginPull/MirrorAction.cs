using System.Globalization;
using Microsoft.AspNetCore.Http;
using OriginGateway.FrontDoor;
using OriginGateway.Observability;
using OriginGateway.Origins;
using OriginGateway.Protocol;

namespace OriginGateway.OriginPull;

/// <summary>
/// Mirror (sync origin-pull, <c>01-data-plane.md</c> §1.4): join or start the key's fill and
/// stream its bytes as they arrive; a ranged miss gets its bytes at once (from the fill, or from a
/// ranged origin request) while one full fill, pinned to the origin's version, runs behind it.
/// </summary>
internal sealed class MirrorAction(FillRegistry fills, HostSelector hosts, OriginFetcher fetcher, GatewayMetrics metrics, OriginPullOptions options)
{
    private const int ChunkSize = 64 * 1024;

    // A herd of clients on one fill must not hold 64 KiB each in flight.
    private const int HerdChunkSize = 16 * 1024;
    private const int HerdSize = 8;

    // How far beyond the bytes a fill has published a range must start to be asked of the origin instead of waited for.
    private const long AheadOfFill = 1024 * 1024;

    public async Task HandleAsync(OriginPullContext pull)
    {
        var request = pull.Request;
        var context = request.Context;
        var range = context.Request.Headers.Range;
        if (range.Count > 0 && fills.Find(request.Bucket.Name, request.Key) is null)
        {
            await RangedMissAsync(pull, range.ToString()).ConfigureAwait(false);
            return;
        }

        // The hold on the fill's staging copy is taken on joining, so a fill that completes before
        // this client wakes still has its bytes; a fill already over and closed is joined anew.
        Fill fill;
        Fill.SharedReader.Lease? lease;
        var attempts = 0;
        do
        {
            fill = fills.GetOrStart(request.Bucket, request.Key, FetchRequest(pull, ifMatch: null), out _);
            lease = fill.TryReader();
        }
        while (lease is null && ++attempts < 3 && fill.State != FillState.Committed);
        using var held = lease;
        var start = await fill.Started.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        pull.OriginHost = start.Host;
        if (start.Kind == FillStartKind.StoredElsewhere)
        {
            await ObjectReadHandler.HandleAsync(request, origin: null, action: pull.Action).ConfigureAwait(false);
            return;
        }
        if (start.Kind != FillStartKind.Streaming)
        {
            await AnswerWithoutBodyAsync(pull, start).ConfigureAwait(false);
            return;
        }
        if (lease is null)
        {
            // Committed and closed between lookup and join: the object is in the store now.
            await ObjectReadHandler.HandleAsync(request, origin: null, action: pull.Action).ConfigureAwait(false);
            return;
        }

        // Nothing leaves before the fill's first byte does (the headers go with it), so a fill that fails before that — the
        // store could not take the body, the origin broke off — is answered as what it is, not as a 200 cut short.
        try
        {
            await fill.WaitAsync(0, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        if (fill.State == FillState.Failed && fill.Published == 0)
        {
            await AnswerWithoutBodyAsync(pull, new FillStart(FillStartKind.Failed, Reason: fill.FailureReason, Host: start.Host)).ConfigureAwait(false);
            return;
        }

        var requestedRange = range.Count > 0 && start.ContentLength is { } length ? ByteRange.Parse(range, length) : (ByteRange?)null;
        // A range the fill is far from reaching (a player reading an index at the end of a video, a download manager's later
        // parts) is asked of the origin, pinned to the fill's version, rather than waited for.
        if (requestedRange is { Kind: RangeKind.Single } ahead && ahead.Start > fill.Published + AheadOfFill && fill.State == FillState.Running
            && start.Pin is { } pin && await TryRangeAheadAsync(pull, range.ToString(), pin, ahead).ConfigureAwait(false))
        {
            return;
        }

        var response = context.Response;
        var headers = response.Headers;
        foreach (var (name, value) in start.Headers ?? [])
        {
            headers[name] = value;
        }
        headers.ContentType = start.ContentType ?? "application/octet-stream";
        headers.AcceptRanges = "bytes";
        long offset = 0;
        long? count = start.ContentLength;
        if (requestedRange is { } requested && start.ContentLength is { } total)
        {
            if (!requested.Answer(context, total, request.RawPath, out var unsatisfiable))
            {
                await unsatisfiable.ConfigureAwait(false);
                return;
            }
            (offset, count) = (requested.Start, requested.Length);
        }
        if (count is { } known)
        {
            response.ContentLength = known;
        }
        var end = count is { } c ? offset + c : BodyPump.Open;
        var sent = await BodyPump.CopyAsync(context, new FillBody(fill, lease), offset, end, lease.Sharers > HerdSize ? HerdChunkSize : ChunkSize).ConfigureAwait(false);
        metrics.BytesServed("origin", sent);
        pull.BytesSent = sent;
    }

    /// <summary>A fill as a body source: the bytes published so far, waiting for the rest; a failed fill breaks the body.</summary>
    private sealed class FillBody(Fill fill, Fill.SharedReader.Lease lease) : IBodySource
    {
        public async ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
        {
            while (true)
            {
                var available = fill.Published;
                if (position < available)
                {
                    var count = (int)Math.Min(buffer.Length, available - position);
                    if (fill.Body is { } body)
                    {
                        body.Span.Slice((int)position, count).CopyTo(buffer.Span);
                        return count;
                    }
                    var read = lease.Reader.Read(buffer.Span[..count], position);
                    return read > 0 ? read : -1;
                }
                switch (fill.State)
                {
                    case FillState.Failed:
                        // Never a clean end on a body that is not whole.
                        return -1;
                    case FillState.Committed or FillState.Completed when position >= fill.Published:
                        return 0;
                }
                await fill.WaitAsync(position, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A ranged GET with no fill in flight: a ranged origin request for the client, and a pinned full fill behind it.</summary>
    private async Task RangedMissAsync(OriginPullContext pull, string range)
    {
        var request = pull.Request;
        var context = request.Context;
        using var result = await fetcher.FetchAsync(FetchRequest(pull, ifMatch: null) with { Range = range }, context.RequestAborted).ConfigureAwait(false);
        pull.OriginHost = result.Host;
        if (result.Outcome != OriginOutcome.Success)
        {
            await AnswerWithoutBodyAsync(pull, FillStart.WithoutBody(result)).ConfigureAwait(false);
            return;
        }

        var origin = result.Response!;
        fills.GetOrStart(request.Bucket, request.Key, FetchRequest(pull, OriginResponseRules.ETag(origin)), out _);
        await ForwardAsync(pull, origin).ConfigureAwait(false);
    }

    /// <summary>
    /// A range ahead of the fill in flight, asked of the origin If-Match the fill's version: true once it is answered from
    /// there; false when the origin's answer is not exactly that range of that version (a changed object, an origin that
    /// ignores ranges, a failure) — the client then waits for the fill's bytes as before.
    /// </summary>
    private async Task<bool> TryRangeAheadAsync(OriginPullContext pull, string range, VersionPin pin, ByteRange requested)
    {
        var context = pull.Request.Context;
        using var result = await fetcher.FetchAsync(FetchRequest(pull, pin.ETag) with { Range = range }, context.RequestAborted).ConfigureAwait(false);
        if (result.Outcome != OriginOutcome.Success
            || OriginResponseRules.NotARangeOf(result.Response!, pin, requested.Start, requested.Start + requested.Length - 1) is not null)
        {
            return false;
        }
        pull.OriginHost = result.Host;
        await ForwardAsync(pull, result.Response!).ConfigureAwait(false);
        return true;
    }

    /// <summary>Sends an origin's answer to a ranged request on to the client: its status, the headers a stored object keeps, its range and body.</summary>
    private async Task ForwardAsync(OriginPullContext pull, HttpResponseMessage origin)
    {
        var context = pull.Request.Context;
        var response = context.Response;
        response.StatusCode = (int)origin.StatusCode;
        foreach (var (name, value) in OriginResponseRules.StoredHeaders(origin))
        {
            response.Headers[name] = value;
        }
        response.Headers.ContentType = OriginResponseRules.ContentType(origin) ?? "application/octet-stream";
        if (origin.Content.Headers.ContentRange is { } contentRange)
        {
            response.Headers.ContentRange = contentRange.ToString();
        }
        if (origin.Content.Headers.ContentLength is { } length)
        {
            response.ContentLength = length;
        }
        var (sent, _, _) = await ForwardedBody.SendAsync(context, origin, session: null, options.BodyIdleTimeout).ConfigureAwait(false);
        pull.BytesSent = sent;
        metrics.BytesServed("origin", sent);
    }

    private OriginFetchRequest FetchRequest(OriginPullContext pull, string? ifMatch) => new(
        pull.Plan.Scheme,
        pull.Plan.PathAndQuery,
        pull.Plan.Headers,
        hosts.Candidates(pull.Rule),
        pull.Rule.FollowRedirection,
        pull.Rule.StandbyStatusCodes,
        IfMatch: ifMatch,
        FollowedRedirectCodes: pull.Rule.FollowedRedirectCodes);

    /// <summary>Answers a fill that produced no body: 404, a passed-through 3xx, or the failure.</summary>
    internal static Task AnswerWithoutBodyAsync(OriginPullContext pull, FillStart start)
    {
        var request = pull.Request;
        var response = request.Context.Response;
        switch (start.Kind)
        {
            case FillStartKind.NotFound:
                return request.ErrorAsync(404, "NoSuchKey", "The specified key does not exist (the origin answered 404).");
            case FillStartKind.Redirect:
                response.StatusCode = start.Status;
                if (start.Location is not null)
                {
                    response.Headers.Location = start.Location;
                }
                return Task.CompletedTask;
            default:
                if (start.Reason == Dependencies.DependencyFailure.StoreFailed)
                {
                    // The origin answered; the store could not take the body (a full disk, S3 down): retry, as for any write.
                    return CosError.ServiceUnavailableAsync(request.Context, Dependencies.DependencyFailure.Message(Dependencies.DependencyFailure.Store), request.RawPath);
                }
                if (pull.Rule.TransparentErrorCode && start.Status > 0)
                {
                    response.StatusCode = start.Status;
                    var body = start.ErrorBody ?? [];
                    response.ContentLength = body.Length;
                    return body.Length == 0 ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
                }
                return pull.AnswerFailedAsync(start.Reason);
        }
    }
}
