using System.Globalization;

namespace OriginGateway.Origins;

/// <summary>
/// The egress-guarded origin connections under the origin clocks, for clients that read small documents through an
/// <see cref="HttpClient"/> of their own (a sync task's source bucket, listed by the S3 SDK). An answer's headers must arrive
/// within <c>OriginPull:ResponseHeadersTimeout</c> and every read of its body within <c>OriginPull:BodyIdleTimeout</c>; the
/// body (at most <see cref="MaxAnswerBytes"/>) is read whole here, as any origin document is
/// (<see cref="OriginBodyCopy.ReadDocumentAsync"/>), and handed on from memory. A source that answers and then stalls fails
/// as <c>OriginTimeout</c> instead of holding its caller for as long as it keeps the connection open.
/// </summary>
internal sealed class ClockedDocumentHandler(HttpMessageHandler origin, OriginPullOptions pull) : DelegatingHandler(origin)
{
    /// <summary>The largest answer read: a listing page of 1,000 keys is a few hundred KiB.</summary>
    public const int MaxAnswerBytes = 16 * 1024 * 1024;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        using (var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            headers.CancelAfter(pull.ResponseHeadersTimeout);
            try
            {
                response = await base.SendAsync(request, headers.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw Timeout("no answer arrived", pull.ResponseHeadersTimeout);
            }
        }
        (byte[]? Body, string Failure) read;
        try
        {
            read = await OriginBodyCopy.ReadDocumentAsync(response, MaxAnswerBytes, pull.BodyIdleTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The caller's own cancellation: it propagates.
            response.Dispose();
            throw;
        }
        var (body, failure) = read;
        if (body is null)
        {
            response.Dispose();
            throw failure switch
            {
                OriginFailure.OriginTimeout => Timeout("nothing arrived", pull.BodyIdleTimeout),
                "" => new InvalidDataException($"the source's answer is larger than {MaxAnswerBytes / (1024 * 1024)} MiB"),
                _ => new IOException($"{failure}: the source's answer ended early"),
            };
        }
        var whole = new ByteArrayContent(body);
        foreach (var header in response.Content.Headers)
        {
            whole.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        response.Content.Dispose();
        response.Content = whole;
        return response;
    }

    /// <summary>Named as the origin failure is everywhere else; an SDK passes a <see cref="TimeoutException"/> on as it is.</summary>
    private static TimeoutException Timeout(string what, TimeSpan after) =>
        new($"{OriginFailure.OriginTimeout}: {what} from the source for {after.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
}
