using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Storage;
using OriginGateway.Tasks;

namespace OriginGateway.Oms;

/// <summary>One object a source offers: its key (or URL for URL lists) and what tells whether it changed.</summary>
internal sealed record SourceObject(string SourceKey, string DestinationName, long? Size, string? ETag);

/// <summary>
/// Where a sync task reads: an S3-compatible bucket (listed through <c>AWSSDK.S3</c> under the origin clocks, objects fetched
/// with presigned GETs through the one origin fetcher) or a URL list (one URL per line, optionally a
/// tab and the target key; CDN type-A signed when a CDN authentication key is set).
/// </summary>
internal sealed class SyncSource(OriginHttpClient http, OriginFetcher fetcher, OriginPullOptions pull, TimeProvider time)
{
    /// <summary>The largest URL list read into memory.</summary>
    public const int MaxUrlListBytes = 16 * 1024 * 1024;

    public async Task<IReadOnlyList<SourceObject>> ListAsync(SyncTask task, SyncCredentials keys, CancellationToken cancellationToken)
    {
        return task.SourceType == "URLList" ? await ListUrlsAsync(task, cancellationToken).ConfigureAwait(false) : await ListS3Async(task, keys, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<SourceObject>> ListS3Async(SyncTask task, SyncCredentials keys, CancellationToken cancellationToken)
    {
        using var client = S3ClientFactory.Create(task.SourceEndpoint, task.SourceRegion, keys.SourceAk!, keys.SourceSk!, http.DocumentHandler);
        var objects = new List<SourceObject>();
        var request = new ListObjectsV2Request { BucketName = task.SourceBucket, Prefix = task.SourcePrefix, MaxKeys = 1000 };
        while (true)
        {
            var page = await client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                if (!item.Key.EndsWith('/'))
                {
                    objects.Add(new SourceObject(item.Key, item.Key[task.SourcePrefix.Length..], item.Size, item.ETag?.Trim('"')));
                }
            }
            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                return objects;
            }
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    private async Task<IReadOnlyList<SourceObject>> ListUrlsAsync(SyncTask task, CancellationToken cancellationToken)
    {
        var listUrl = TaskUrl.Parse(task.SourceEndpoint, schemeOptional: false, out var error) ?? throw new InvalidOperationException("the URL list " + error);
        using var result = await fetcher.FetchAsync(OriginFetchRequest.ForUrl(listUrl, SyncCopyHandler.TaskKind), cancellationToken).ConfigureAwait(false);
        if (result.Outcome != OriginOutcome.Success)
        {
            throw new HttpRequestException($"the URL list could not be read ({result.Reason} {result.Status})");
        }
        var (read, failure) = await OriginBodyCopy.ReadDocumentAsync(result.Response!, MaxUrlListBytes, pull.BodyIdleTimeout, cancellationToken).ConfigureAwait(false);
        if (failure.Length > 0)
        {
            throw new HttpRequestException(failure == OriginFailure.OriginTimeout
                ? $"the URL list could not be read (OriginTimeout: nothing arrived for {pull.BodyIdleTimeout.TotalSeconds:0.###} s)"
                : "the URL list could not be read (Truncated: its body ended early)");
        }
        var body = read ?? throw new InvalidOperationException($"the URL list is larger than {MaxUrlListBytes / (1024 * 1024)} MiB");
        var objects = new List<SourceObject>();
        foreach (var raw in Encoding.UTF8.GetString(body).Split('\n'))
        {
            var line = raw.Trim('\r', ' ');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (UrlEntry(tab < 0 ? line : line[..tab], tab < 0 ? null : line[(tab + 1)..].Trim(), out _) is { } entry)
            {
                objects.Add(entry);
            }
        }
        return objects;
    }

    /// <summary>
    /// A URL list's entry (a listed line, or a key named by <c>POST …/events</c>): an http or https URL and the key it is
    /// stored under — <paramref name="target"/> when given, else the URL's decoded path without its leading <c>/</c>. Null,
    /// with <paramref name="error"/> saying why, when the URL is not one or names no key.
    /// </summary>
    internal static SourceObject? UrlEntry(string url, string? target, out string? error)
    {
        if (TaskUrl.Parse(url, schemeOptional: false, out error) is not { } parsed)
        {
            return null;
        }
        var name = target ?? Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/'));
        if (name.Length == 0)
        {
            error = "names no object (its path is empty)";
            return null;
        }
        return new SourceObject(url, name, null, null);
    }

    /// <summary>The URL a copy fetches: a presigned GET (S3, valid 1 hour) or the list's URL (CDN-signed when asked).</summary>
    public Uri CopyUrl(SyncTask task, SyncCredentials keys, string sourceKey)
    {
        if (task.SourceType == "URLList")
        {
            var url = TaskUrl.Parse(sourceKey, schemeOptional: false, out var error) ?? throw new InvalidOperationException("a listed URL " + error);
            return keys.CdnAuthenticationKey is { Length: > 0 } cdnKey ? CdnTypeA(url, cdnKey, time.GetUtcNow().ToUnixTimeSeconds()) : url;
        }
        using var client = S3ClientFactory.Create(task.SourceEndpoint, task.SourceRegion, keys.SourceAk!, keys.SourceSk!, http.DocumentHandler);
        var presigned = client.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = task.SourceBucket,
            Key = sourceKey,
            Verb = HttpVerb.GET,
            Expires = time.GetUtcNow().UtcDateTime.AddHours(1),
            Protocol = task.SourceEndpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? Amazon.S3.Protocol.HTTPS : Amazon.S3.Protocol.HTTP,
        });
        return new Uri(presigned);
    }

    /// <summary>CDN type-A URL authentication: <c>auth_key=&lt;timestamp&gt;-&lt;rand&gt;-0-&lt;md5("/path-timestamp-rand-0-key")&gt;</c>.</summary>
    internal static Uri CdnTypeA(Uri url, string key, long timestamp)
    {
        var rand = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var path = url.AbsolutePath;
        var hash = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"{path}-{timestamp.ToString(CultureInfo.InvariantCulture)}-{rand}-0-{key}")));
        var separator = url.Query.Length > 0 ? "&" : "?";
        return new Uri($"{url.GetLeftPart(UriPartial.Query)}{separator}auth_key={timestamp.ToString(CultureInfo.InvariantCulture)}-{rand}-0-{hash}");
    }
}
