using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using OriginGateway.Coordination;
using OriginGateway.Observability;
using Polly;
using Polly.Retry;

namespace OriginGateway.Storage;

/// <summary>
/// A bucket's objects in an S3-compatible bucket, under a key prefix: key <c>k</c> is S3 object
/// <c>{prefix}k</c>, so LIST is S3's own listing (UTF-8 binary order) and other S3 tools see the
/// objects as they are. Writes stream into a local staging file (joiners of a fill read it while it
/// grows); a body up to one part is sent with one PUT at commit, a larger one streams into an S3
/// multipart upload part by part as it arrives and is completed only after the gateway's checks
/// pass — otherwise the upload is aborted, so S3 never shows a partial object. The gateway's own
/// metadata (MD5, COS ETag, stored headers, origin data, a random version id) travels in one
/// <c>x-amz-meta-og</c> value. An object's ACL and tags live in a small attribute object per version,
/// <c>{attributesPrefix}{key}.{version id}</c>, written before the version it belongs to becomes visible
/// and replaced on its own, so changing them never touches the body.
/// Lookups are cached per replica for <see cref="StorageOptions.CacheTtl"/>; commits and deletes
/// are announced on the cluster bus so other replicas drop their copy at once.
/// </summary>
internal sealed partial class S3ObjectStore : IObjectStore
{
    /// <summary>The most S3 takes in one PUT.</summary>
    public const long MaxSinglePut = 5L * 1024 * 1024 * 1024;

    private const string RecordMetadata = "x-amz-meta-og";
    private const int MaxCacheEntries = 100_000;
    private static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HealthProbeInterval = TimeSpan.FromMilliseconds(500);

    private readonly IAmazonS3 _client;
    private readonly TimeSpan _timeout;
    private readonly string _bucketName;
    private readonly string _prefix;

    /// <summary>An entry's object key (<c>prefix + key</c>), made when asked: no second key string per entry.</summary>
    private readonly Func<ObjectEntry, string> _locate;
    private readonly string? _attributesPrefix;
    private readonly string _stagingDirectory;
    private readonly long _partSize;
    private readonly TimeSpan _cacheTtl;
    private readonly IClusterBus _bus;
    private readonly string _scope;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>False once the S3 server refused a conditional request as not implemented: it is not sent conditions again.</summary>
    private volatile bool _sendsConditions = true;
    private readonly ConcurrentDictionary<string, CacheSlot> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _activeUploads = new(StringComparer.Ordinal);
    private readonly TimeSpan _staleUploadsAfter;
    private readonly WriteFailureLatch _writeFailures;
    private volatile HealthProbe? _lastProbe;

    /// <param name="client">The S3 client (the store's own endpoint).</param>
    /// <param name="bucketName">The S3 bucket.</param>
    /// <param name="prefix">Prepended to every key.</param>
    /// <param name="attributesPrefix">Where the objects' ACL and tags live (null: this store keeps none, as for multipart parts).</param>
    /// <param name="stagingDirectory">A local directory for bodies being written (swept here: no other store uses it).</param>
    /// <param name="partSize">Bodies longer than this stream as a multipart upload of parts this long (at least 5 MiB).</param>
    /// <param name="cacheTtl">How long a lookup is trusted without a notification (zero: never cached).</param>
    /// <param name="bus">Where commits and deletes are announced to other replicas and heard from them.</param>
    /// <param name="scope">This store's name on the bus (unique per bucket and use).</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="staleUploadsAfter">The store's own multipart uploads older than this, and not in progress here, are aborted by the sweep.</param>
    /// <param name="timeout">The deadline of each S3 call (transfers get one more second per MiB), and of each read of a body.</param>
    public S3ObjectStore(IAmazonS3 client, string bucketName, string prefix, string? attributesPrefix, string stagingDirectory, long partSize, TimeSpan cacheTtl, IClusterBus bus, string scope, TimeProvider time, ILogger logger, TimeSpan? timeout = null, TimeSpan? staleUploadsAfter = null)
    {
        _staleUploadsAfter = staleUploadsAfter ?? TimeSpan.FromDays(1);
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
        _client = client;
        _bucketName = bucketName;
        _prefix = prefix;
        _locate = entry => _prefix + entry.Key;
        _attributesPrefix = attributesPrefix;
        _stagingDirectory = Path.GetFullPath(stagingDirectory);
        _partSize = partSize;
        _cacheTtl = cacheTtl;
        _bus = bus;
        _scope = scope;
        _time = time;
        _logger = logger;
        _writeFailures = new WriteFailureLatch(time);
        Directory.CreateDirectory(_stagingDirectory);
        StagingFileSession.Sweep(_stagingDirectory);
        bus.Received += OnClusterMessage;
        bus.Reconnected += _cache.Clear;
    }

    public string Description => $"s3 bucket {_bucketName} prefix '{_prefix}'";

    /// <summary>
    /// One S3 call under its deadline (<c>Timeout</c>, plus a second per MiB it moves): a frozen server fails
    /// the call with a <see cref="TimeoutException"/> instead of holding the request.
    /// </summary>
    private async Task<T> CallAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, long bytes = 0)
    {
        var deadline = _timeout + TimeSpan.FromSeconds(bytes / (1024.0 * 1024.0));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(deadline);
        try
        {
            return await call(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Description}: {what} did not finish within {deadline.TotalSeconds:F0} s");
        }
    }

    /// <summary>
    /// The time S3 recorded for an object just written (its Last-Modified), so every replica and every
    /// later HEAD see the same time as the writer; the local clock when S3 does not answer — the write is done.
    /// </summary>
    private async ValueTask<DateTimeOffset> StoredTimeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await HeadAsync(key, cancellationToken).ConfigureAwait(false);
            if (head.LastModified is { } stored)
            {
                return new DateTimeOffset(DateTime.SpecifyKind(stored.ToUniversalTime(), DateTimeKind.Utc));
            }
        }
        catch (Exception e) when (e is IOException or TimeoutException or Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            // Known at the next HEAD.
        }
        return _time.GetUtcNow();
    }

    private Task<GetObjectMetadataResponse> HeadAsync(string key, CancellationToken cancellationToken) =>
        CallAsync("HEAD", t => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucketName, Key = _prefix + key }, t), cancellationToken);

    public async ValueTask<ObjectEntry?> FindAsync(string key, CancellationToken cancellationToken)
    {
        if (TryRemembered(key, out var remembered))
        {
            return remembered;
        }
        var entry = await LookUpAsync(key, cancellationToken).ConfigureAwait(false);
        Remember(key, entry);
        return entry;
    }

    /// <summary>
    /// The key's object as S3 has it now, not remembered: what a commit or a delete checks and replaces, and what a miss
    /// finds another replica's fill stored. It relies on S3 showing an object only once its PUT is whole: one that shows
    /// a PUT under way would be taken for the whole object (the README's S3 storage section names that need).
    /// </summary>
    private async Task<ObjectEntry?> LookUpAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await HeadAsync(key, cancellationToken).ConfigureAwait(false);
            var entry = ToEntry(key, head.ContentLength, head.ETag, head.LastModified ?? DateTime.UtcNow, head.Headers.ContentType, head.Metadata[RecordMetadata]);
            return await ReadAttributesAsync(entry, cancellationToken).ConfigureAwait(false) is { } attributes ? entry.WithAttributes(attributes) : entry;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private bool TryRemembered(string key, out ObjectEntry? entry)
    {
        if (_cache.TryGetValue(key, out var slot) && slot.ExpiresAt > _time.GetTimestamp())
        {
            entry = slot.Entry;
            return true;
        }
        entry = null;
        return false;
    }

    public async ValueTask<ObjectReader?> OpenAsync(ObjectEntry entry, long offset, long length, CancellationToken cancellationToken)
    {
        var reader = new S3ObjectReader(this, entry);
        if (entry.Length == 0)
        {
            return reader;
        }
        if (!await reader.TryOpenAsync(offset, offset + Math.Max(length, 1), cancellationToken).ConfigureAwait(false))
        {
            reader.Dispose();
            Forget(entry.Key);
            return null;
        }
        return reader;
    }

    public ObjectWriteSession BeginWrite(string key, ObjectWrite write) =>
        new S3WriteSession(this, key, write, StagingFiles.NewPath(_stagingDirectory));

    public void Forget(string key) => _cache.TryRemove(key, out _);

    public async ValueTask<ObjectEntry?> SetAttributesAsync(ObjectEntry entry, ObjectAttributes attributes, CancellationToken cancellationToken)
    {
        if (_attributesPrefix is null)
        {
            throw new InvalidOperationException($"{Description} keeps no object attributes.");
        }
        if (attributes.IsDefault)
        {
            // A version has an attribute object only while it has attributes other than the default (so a replaced or
            // deleted version's is known to exist, and removed, from what a lookup found).
            await DeleteAttributesAsync(entry.Key, entry.VersionId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await WriteAttributesAsync(entry.Key, entry.VersionId, attributes, cancellationToken).ConfigureAwait(false);
        }
        // Written for that version: if another replaced it meanwhile, the file belongs to nothing and is ignored.
        Forget(entry.Key);
        var current = await FindAsync(entry.Key, cancellationToken).ConfigureAwait(false);
        _bus.Publish(new ClusterMessage(ClusterMessageKind.ObjectChanged, _scope, entry.Key));
        return current is not null && current.VersionId == entry.VersionId ? current : null;
    }

    /// <summary>
    /// Lists the multipart uploads under this store's prefix and aborts those that began more than
    /// <c>StaleUploadsAfter</c> ago and are not being written by this replica.
    /// </summary>
    public async ValueTask<int> SweepAbandonedWritesAsync(CancellationToken cancellationToken)
    {
        var before = (_time.GetUtcNow() - _staleUploadsAfter).UtcDateTime;
        var swept = 0;
        string? keyMarker = null, idMarker = null;
        while (true)
        {
            var page = await CallAsync("multipart listing", t => _client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
            {
                BucketName = _bucketName,
                Prefix = _prefix,
                KeyMarker = keyMarker,
                UploadIdMarker = idMarker,
            }, t), cancellationToken).ConfigureAwait(false);
            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Initiated is not { } initiated || initiated.ToUniversalTime() >= before || _activeUploads.ContainsKey(upload.UploadId))
                {
                    continue;
                }
                try
                {
                    await CallAsync("multipart abort", t => _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucketName, Key = upload.Key, UploadId = upload.UploadId }, t), cancellationToken).ConfigureAwait(false);
                    swept++;
                }
                catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
                {
                    // Finished or aborted meanwhile.
                }
            }
            if (page.IsTruncated != true || (page.NextKeyMarker is null && page.NextUploadIdMarker is null))
            {
                return swept;
            }
            (keyMarker, idMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
        }
    }

    private string AttributesKey(string key, string versionId) => _attributesPrefix + key + "." + versionId;

    private async Task WriteAttributesAsync(string key, string versionId, ObjectAttributes attributes, CancellationToken cancellationToken)
    {
        var json = new ObjectAttributesFile(versionId, attributes.ToRecord()).Encode();
        using var body = new MemoryStream(json);
        await CallAsync("PUT of attributes", t => _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucketName,
            Key = AttributesKey(key, versionId),
            InputStream = body,
            ContentType = "application/json",
            MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(json)),
            UseChunkEncoding = false,
        }, t), cancellationToken).ConfigureAwait(false);
    }

    private Task<DeleteObjectResponse> DeleteAttributesAsync(string key, string versionId, CancellationToken cancellationToken) =>
        CallAsync("DELETE of attributes", t => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucketName, Key = AttributesKey(key, versionId) }, t), cancellationToken);

    /// <summary>
    /// Removes the attribute object of a version that is not (or no longer) the key's object — one a commit or a delete
    /// replaced, or a commit's own when S3 refused it. Never a version that may still become visible or be the current one: a private
    /// object without its attributes would follow the bucket's ACL. What fails is left behind (it is never read).
    /// </summary>
    private async Task DropAttributesAsync(string key, string versionId)
    {
        try
        {
            await DeleteAttributesAsync(key, versionId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            LogAttributesLeft(_logger, Description, key, e.Message);
        }
    }

    /// <summary>The attributes written for the entry's version after (or with) its body; null when there are none.</summary>
    private async Task<ObjectAttributes?> ReadAttributesAsync(ObjectEntry entry, CancellationToken cancellationToken)
    {
        if (_attributesPrefix is null)
        {
            return null;
        }
        try
        {
            using var buffer = new MemoryStream();
            await CallAsync("GET of attributes", async t =>
            {
                using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucketName, Key = AttributesKey(entry.Key, entry.VersionId) }, t).ConfigureAwait(false);
                await response.ResponseStream.CopyToAsync(buffer, t).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            return ObjectAttributesFile.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) is { } file && file.Version == entry.VersionId
                ? ObjectAttributes.FromRecord(file.Attributes)
                : null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken, WriteCondition? condition = null)
    {
        // S3 answers a DELETE of an absent key with success too: the lookup says whether it existed.
        var existing = await LookUpAsync(key, cancellationToken).ConfigureAwait(false);
        if (condition?.Check(existing) is { } failed)
        {
            throw new WriteConditionFailedException(failed);
        }
        // A conditional delete is pinned to the object checked (S3's If-Match: its S3 ETag), as a conditional write is.
        try
        {
            await ConditionalAsync(null, condition is null ? null : existing?.StoreTag, (_, match) =>
                CallAsync("DELETE", t => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucketName, Key = _prefix + key, IfMatch = match }, t), cancellationToken)).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (condition is not null && e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new WriteConditionFailedException(ObjectWriteStatus.PreconditionFailed);
        }
        if (existing is { Attributes.IsDefault: false })
        {
            await DropAttributesAsync(key, existing.VersionId).ConfigureAwait(false);
        }
        var existed = existing is not null;
        Remember(key, null);
        _bus.Publish(new ClusterMessage(ClusterMessageKind.ObjectChanged, _scope, key));
        return existed;
    }

    public async ValueTask<ListResult> ListAsync(ListRequest request, CancellationToken cancellationToken)
    {
        if (request.MaxKeys <= 0)
        {
            return new ListResult([], [], false, null);
        }
        var delimiter = string.IsNullOrEmpty(request.Delimiter) ? null : request.Delimiter;
        var startAfter = request.Marker;
        // A marker that is a common prefix stands for its whole group: start after every key in it.
        if (delimiter is not null && startAfter.Length > request.Prefix.Length && startAfter.StartsWith(request.Prefix, StringComparison.Ordinal)
            && startAfter.EndsWith(delimiter, StringComparison.Ordinal) && startAfter.IndexOf(delimiter, request.Prefix.Length, StringComparison.Ordinal) == startAfter.Length - delimiter.Length)
        {
            startAfter += "\U0010FFFF";
        }
        // ListObjects (version 1): S3-compatible servers implement it most widely.
        var response = await CallAsync("LIST", t => _client.ListObjectsAsync(new ListObjectsRequest
        {
            BucketName = _bucketName,
            Prefix = _prefix + request.Prefix,
            Delimiter = delimiter,
            Marker = startAfter.Length > 0 ? _prefix + startAfter : null,
            MaxKeys = request.MaxKeys,
        }, t), cancellationToken).ConfigureAwait(false);

        // Keys and common prefixes in one order, as COS pages them.
        var items = new List<(string Key, ObjectEntry? Entry)>();
        foreach (var o in response.S3Objects ?? [])
        {
            var key = o.Key[_prefix.Length..];
            items.Add((key, ToEntry(key, o.Size ?? 0, o.ETag, o.LastModified ?? DateTime.UtcNow, null, null)));
        }
        foreach (var p in response.CommonPrefixes ?? [])
        {
            items.Add((p[_prefix.Length..], null));
        }
        items.Sort((a, b) => Utf8OrdinalComparer.Instance.Compare(a.Key, b.Key));
        var contents = items.Where(i => i.Entry is not null).Select(i => i.Entry!).ToList();
        var prefixes = items.Where(i => i.Entry is null).Select(i => i.Key).ToList();
        var truncated = response.IsTruncated == true;
        return new ListResult(contents, prefixes, truncated, truncated && items.Count > 0 ? items[^1].Key : null);
    }

    /// <summary>
    /// A LIST of the prefix under the deadline, and the last failed write. A failure to reach the store is forgotten
    /// once a probe after it succeeds (S3 that answers again is ready again at once); a write the store refused or did
    /// not finish — full, over its quota, denied — is reported until a write commits or 10 s pass, since such a store
    /// still answers LISTs (before, a full store read Healthy between its failed writes).
    /// </summary>
    public async ValueTask<string?> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_lastProbe is { } probe && now - probe.At < HealthProbeInterval)
        {
            return probe.Problem ?? _writeFailures.Problem(Description);
        }
        string? problem = null;
        try
        {
            await CallAsync("LIST", t => _client.ListObjectsAsync(new ListObjectsRequest { BucketName = _bucketName, Prefix = _prefix, MaxKeys = 1 }, t), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
        {
            problem = $"{Description} cannot be listed: {e.Message}";
        }
        _lastProbe = new HealthProbe(now, problem);
        if (problem is null)
        {
            _writeFailures.ReachedAt(now);
        }
        return problem ?? _writeFailures.Problem(Description);
    }

    private void OnClusterMessage(ClusterMessage message)
    {
        if (message.Kind == ClusterMessageKind.ObjectChanged && message.Scope == _scope)
        {
            Forget(message.Key);
        }
    }

    private void Remember(string key, ObjectEntry? entry)
    {
        var ttl = entry is null ? (_cacheTtl < NegativeTtl ? _cacheTtl : NegativeTtl) : _cacheTtl;
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }
        if (_cache.Count >= MaxCacheEntries)
        {
            _cache.Clear();
        }
        _cache[key] = new CacheSlot(entry, _time.GetTimestamp() + (long)(ttl.TotalSeconds * _time.TimestampFrequency));
    }

    private void Committed(string key, ObjectEntry entry)
    {
        Remember(key, entry);
        _bus.Publish(new ClusterMessage(ClusterMessageKind.ObjectChanged, _scope, key));
    }

    private ObjectEntry ToEntry(string key, long length, string? s3ETag, DateTime lastModified, string? contentType, string? recordText)
    {
        var record = S3ObjectRecord.Decode(recordText);
        var etag = s3ETag ?? "\"\"";
        var plainMd5 = etag.Trim('"') is { Length: 32 } hex && hex.All(char.IsAsciiHexDigit) ? hex.ToLowerInvariant() : "";
        return new ObjectEntry(
            key,
            null,
            0,
            length,
            record?.Md5Hex ?? plainMd5,
            new DateTimeOffset(DateTime.SpecifyKind(lastModified.ToUniversalTime(), DateTimeKind.Utc)),
            string.IsNullOrEmpty(contentType) ? "application/octet-stream" : contentType,
            record?.Headers?.Where(h => h.Length == 2).Select(h => new KeyValuePair<string, string>(h[0], h[1])).ToArray() ?? [],
            record?.Gateway,
            record?.ETag ?? etag,
            etag,
            versionId: record?.VersionId ?? etag.Trim('"'),
            locate: _locate);
    }

    private readonly record struct CacheSlot(ObjectEntry? Entry, long ExpiresAt);

    private sealed record HealthProbe(DateTimeOffset At, string? Problem);

    /// <summary>
    /// Reads one version of an object (pinned by its S3 ETag): a ranged GET, read sequentially; a read
    /// elsewhere opens another ranged GET. A version replaced meanwhile fails the read, never mixes.
    /// </summary>
    private sealed class S3ObjectReader(S3ObjectStore store, ObjectEntry entry) : ObjectReader
    {
        private GetObjectResponse? _response;
        private Stream? _body;
        private long _position;
        private long _end;

        public override long Length => entry.Length;

        public async Task<bool> TryOpenAsync(long start, long end, CancellationToken cancellationToken)
        {
            Close();
            end = Math.Min(end, entry.Length);
            try
            {
                _response = await store.CallAsync("GET", t => store._client.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = store._bucketName,
                    Key = entry.Location,
                    ByteRange = new Amazon.S3.Model.ByteRange(start, end - 1),
                    EtagToMatch = entry.StoreTag,
                }, t), cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
            {
                return false;
            }
            // Checked here too: not every S3-compatible server honours If-Match on GET.
            if (entry.StoreTag is { } tag && !string.Equals(_response.ETag, tag, StringComparison.Ordinal))
            {
                Close();
                return false;
            }
            _body = _response.ResponseStream;
            _position = start;
            _end = end;
            return true;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken)
        {
            if (offset >= entry.Length || buffer.Length == 0)
            {
                return 0;
            }
            if (_body is null || offset != _position || _position >= _end)
            {
                if (!await TryOpenAsync(offset, entry.Length, cancellationToken).ConfigureAwait(false))
                {
                    throw new IOException($"The object was replaced or removed while it was read ({entry.Key}).");
                }
            }
            // Each read under the deadline too: a server frozen in the middle of a body fails the read.
            var read = await store.CallAsync("a body read", t => _body!.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _end - _position)], t).AsTask(), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The S3 response ended before the requested range.");
            }
            _position += read;
            return read;
        }

        private void Close()
        {
            _body?.Dispose();
            _response?.Dispose();
            _body = null;
            _response = null;
        }

        public override void Dispose() => Close();
    }

    /// <summary>
    /// A write to S3: staged locally; whole parts are uploaded while the body arrives (one in flight,
    /// the next waits for it), the rest at commit; an uncommitted upload is aborted.
    /// </summary>
    private sealed class S3WriteSession(S3ObjectStore store, string key, ObjectWrite write, string path)
        : StagingFileSession(key, write, path, store._writeFailures)
    {
        private readonly List<PartETag> _parts = [];
        private readonly string _versionId = Guid.NewGuid().ToString("N");
        private string? _uploadId;
        private long _uploaded;
        private Task? _inFlight;

        protected override bool DescribedEarly => _uploadId is not null;

        protected override async ValueTask Written(long length, CancellationToken cancellationToken)
        {
            // A part is sent only once more bytes follow it, so the last part is never empty. A write with trailing headers
            // (an S3 client's trailing checksum) is described to S3 only at its commit — a multipart upload takes its
            // metadata when it starts — so it goes as one PUT then, up to S3's largest (5 GiB; a longer one, allowed only by
            // a raised Limits:MaxPutSize, starts its upload early and keeps its trailing headers out of S3's metadata).
            if (length - _uploaded <= store._partSize || length > Write.MaxLength || length > Write.ExpectedLength
                || (Write.TrailingHeaders is not null && Write.ExpectedLength <= MaxSinglePut))
            {
                return;
            }
            try
            {
                if (_inFlight is not null)
                {
                    await _inFlight.ConfigureAwait(false);
                }
                if (_uploadId is null)
                {
                    _uploadId = (await store.CallAsync("multipart initiate", t => store._client.InitiateMultipartUploadAsync(Describe(new InitiateMultipartUploadRequest(), md5Hex: null), t), cancellationToken).ConfigureAwait(false)).UploadId;
                    store._activeUploads[_uploadId] = 0;
                }
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or TimeoutException)
            {
                throw new IOException($"{store.Description}: a part upload failed: {e.Message}", e);
            }
            var start = _uploaded;
            _uploaded += store._partSize;
            _inFlight = UploadPartAsync(start, store._partSize, cancellationToken);
        }

        private async Task UploadPartAsync(long start, long size, CancellationToken cancellationToken)
        {
            var number = _parts.Count + 1;
            var response = await store.CallAsync("part upload", t => store._client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = store._bucketName,
                Key = store._prefix + Key,
                UploadId = _uploadId,
                PartNumber = number,
                FilePath = StagingPath,
                FilePosition = start,
                PartSize = size,
                UseChunkEncoding = false,
            }, t), cancellationToken, size).ConfigureAwait(false);
            _parts.Add(new PartETag(number, response.ETag));
        }

        protected override async Task<ObjectEntry> CommitVerifiedAsync(string md5Hex, CancellationToken cancellationToken)
        {
            await File.FlushAsync(cancellationToken).ConfigureAwait(false);
            // A conditional write: checked against the key's object as S3 has it now (not as this replica remembers it),
            // and handed to S3 too — If-None-Match: * / If-Match: the object checked — so that a server with conditional
            // writes refuses a replica that got in between; one without them leaves that moment open.
            string? ifNoneMatch = null, ifMatch = null;
            // The object this commit replaces, so that its attribute object goes with it: the one a condition was checked
            // against, else the one this replica knows of, else S3's (looked up while the body is sent).
            Task<ObjectEntry?>? replaced = null;
            if (Write.Condition is { } condition)
            {
                var current = await store.LookUpAsync(Key, cancellationToken).ConfigureAwait(false);
                if (condition.Check(current) is { } failed)
                {
                    throw new WriteConditionFailedException(failed);
                }
                ifNoneMatch = condition.MustNotExist ? "*" : null;
                ifMatch = condition.MustMatchETag is null ? null : current?.StoreTag;
                replaced = Task.FromResult(current);
            }
            else if (store._attributesPrefix is not null)
            {
                replaced = store.TryRemembered(Key, out var known) ? Task.FromResult(known) : QuietlyAsync(store.LookUpAsync(Key, cancellationToken));
            }
            var attributesWritten = false;
            string s3ETag;
            try
            {
                // The version's attributes exist before the version is visible: a private object is never readable.
                if (Write.Attributes is { IsDefault: false } attributes && store._attributesPrefix is not null)
                {
                    await store.WriteAttributesAsync(Key, _versionId, attributes, cancellationToken).ConfigureAwait(false);
                    attributesWritten = true;
                }
                if (_uploadId is null)
                {
                    s3ETag = await store.ConditionalAsync(ifNoneMatch, ifMatch, async (noneMatch, match) =>
                    {
                        var put = Describe(new PutObjectRequest
                        {
                            BucketName = store._bucketName,
                            Key = store._prefix + Key,
                            FilePath = StagingPath,
                            MD5Digest = Convert.ToBase64String(Convert.FromHexString(md5Hex)),
                            UseChunkEncoding = false,
                            AutoCloseStream = true,
                            IfNoneMatch = noneMatch,
                            IfMatch = match,
                        }, md5Hex);
                        return (await store.CallAsync("PUT", t => store._client.PutObjectAsync(put, t), cancellationToken, Length).ConfigureAwait(false)).ETag;
                    }).ConfigureAwait(false);
                }
                else
                {
                    await _inFlight!.ConfigureAwait(false);
                    await UploadPartAsync(_uploaded, Length - _uploaded, cancellationToken).ConfigureAwait(false);
                    var completed = await store.ConditionalAsync(ifNoneMatch, ifMatch, (noneMatch, match) =>
                        store.CallAsync("multipart completion", t => store._client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                        {
                            BucketName = store._bucketName,
                            Key = store._prefix + Key,
                            UploadId = _uploadId,
                            PartETags = _parts,
                            IfNoneMatch = noneMatch,
                            IfMatch = match,
                        }, t), cancellationToken)).ConfigureAwait(false);
                    store._activeUploads.TryRemove(_uploadId, out _);
                    _uploadId = null;
                    s3ETag = completed.ETag;
                }
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or TimeoutException)
            {
                // S3 refused this version (its answer says so: a client error): its attribute object belongs to nothing.
                // After a timeout or a server error the version may have been stored after all, and keeps them.
                if (attributesWritten && e is AmazonS3Exception { StatusCode: >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError })
                {
                    await store.DropAttributesAsync(Key, _versionId).ConfigureAwait(false);
                }
                if (Write.Condition is not null && e is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict })
                {
                    // S3 refused the condition (another replica's write got in first, or one is under way).
                    throw new WriteConditionFailedException(ObjectWriteStatus.PreconditionFailed);
                }
                throw new IOException($"{store.Description}: the commit of a write failed: {e.Message}", e);
            }
            if (replaced is not null && await replaced.ConfigureAwait(false) is { Attributes.IsDefault: false } previous && previous.VersionId != _versionId)
            {
                await store.DropAttributesAsync(Key, previous.VersionId).ConfigureAwait(false);
            }
            var entry = new ObjectEntry(Key, null, 0, Length, md5Hex, await store.StoredTimeAsync(Key, cancellationToken).ConfigureAwait(false),
                Write.ContentType ?? "application/octet-stream", Write.Headers,
                Write.GatewayMetadata, Write.ETag ?? (_parts.Count > 0 ? s3ETag : null), s3ETag,
                store._attributesPrefix is null ? null : Write.Attributes, _versionId, store._locate);
            store.Committed(Key, entry);
            return entry;
        }

        /// <summary>The replaced object's lookup, or null when it failed (its attribute object is then left behind); never faults, awaited or not.</summary>
        private static async Task<ObjectEntry?> QuietlyAsync(Task<ObjectEntry?> lookup)
        {
            try
            {
                return await lookup.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or TimeoutException or Amazon.Runtime.AmazonServiceException or HttpRequestException or OperationCanceledException)
            {
                return null;
            }
        }

        /// <summary>Content-Type, the stored headers S3 knows natively, and the gateway's record.</summary>
        private T Describe<T>(T request, string? md5Hex)
            where T : Amazon.Runtime.AmazonWebServiceRequest
        {
            var (headers, metadata) = request switch
            {
                PutObjectRequest p => (p.Headers, p.Metadata),
                InitiateMultipartUploadRequest i => (i.Headers, i.Metadata),
                _ => throw new ArgumentException("not a write request", nameof(request)),
            };
            switch (request)
            {
                case PutObjectRequest p:
                    p.ContentType = Write.ContentType ?? "application/octet-stream";
                    break;
                case InitiateMultipartUploadRequest i:
                    i.BucketName = store._bucketName;
                    i.Key = store._prefix + Key;
                    i.ContentType = Write.ContentType ?? "application/octet-stream";
                    break;
            }
            foreach (var (name, value) in Write.Headers)
            {
                switch (name)
                {
                    case "cache-control":
                        headers.CacheControl = value;
                        break;
                    case "content-disposition":
                        headers.ContentDisposition = value;
                        break;
                    case "content-encoding":
                        headers.ContentEncoding = value;
                        break;
                }
            }
            metadata.Add("og", new S3ObjectRecord(md5Hex, Write.ETag, [.. Write.Headers.Select(h => new[] { h.Key, h.Value })],
                Write.GatewayMetadata is { Count: > 0 } g ? new Dictionary<string, string>(g, StringComparer.Ordinal) : null, _versionId).Encode());
            return request;
        }

        protected override void Discard()
        {
            if (_uploadId is { } uploadId)
            {
                _ = AbortAsync(uploadId).ContinueWith(_ => store._activeUploads.TryRemove(uploadId, out var __), TaskScheduler.Default);
            }
        }

        private async Task AbortAsync(string uploadId)
        {
            try
            {
                if (_inFlight is not null)
                {
                    await _inFlight.ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                // The part failed; the upload is aborted all the same.
            }
            // Retried through an outage (Polly: 1 s doubling to a minute with jitter, for up to an hour): an
            // upload the store keeps holds its parts' space until it is aborted.
            var attempts = 0;
            using var hour = new CancellationTokenSource(TimeSpan.FromHours(1), store._time);
            var retrying = new ResiliencePipelineBuilder { TimeProvider = store._time }
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is Amazon.Runtime.AmazonServiceException or HttpRequestException or TimeoutException or IOException
                        && !(e is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented })),
                    MaxRetryAttempts = int.MaxValue,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromSeconds(1),
                    MaxDelay = TimeSpan.FromMinutes(1),
                    OnRetry = args =>
                    {
                        if (args.AttemptNumber == 0)
                        {
                            LogAbortFailed(store._logger, store.Description, args.Outcome.Exception!);
                        }
                        return default;
                    },
                })
                .Build();
            try
            {
                await retrying.ExecuteAsync(async token =>
                {
                    attempts++;
                    await store.CallAsync("multipart abort", t => store._client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = store._bucketName, Key = store._prefix + Key, UploadId = uploadId }, t), token).ConfigureAwait(false);
                }, hour.Token).ConfigureAwait(false);
                if (attempts > 1)
                {
                    LogAbortedLate(store._logger, store.Description, attempts);
                }
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Gone already.
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
            {
                LogAbortUnsupported(store._logger, store.Description);
            }
            catch (Exception e) when (e is OperationCanceledException or Amazon.Runtime.AmazonServiceException or HttpRequestException or TimeoutException or IOException)
            {
                // An hour of failures: the sweep aborts it once S3 answers (StaleUploadsAfter).
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.S3AbortFailed, Level = LogLevel.Warning, Message = "Could not abort an unfinished multipart upload in {Store}; retrying with back-off for up to an hour")]
    private static partial void LogAbortFailed(ILogger logger, string store, Exception exception);

    [LoggerMessage(EventId = LogEvents.S3AbortedLate, Level = LogLevel.Information, Message = "Aborted an unfinished multipart upload in {Store} at attempt {Attempt}")]
    private static partial void LogAbortedLate(ILogger logger, string store, int attempt);

    /// <summary>
    /// Sends a write or delete with S3's conditions (If-None-Match / If-Match) — and, should the S3 server answer them
    /// 501 NotImplemented, once more without, from then on never with: the check against the object the server has,
    /// made just before, is then what holds (between two replicas that moment stays open, as on a server that ignores them).
    /// </summary>
    private async Task<T> ConditionalAsync<T>(string? ifNoneMatch, string? ifMatch, Func<string?, string?, Task<T>> call)
    {
        if ((ifNoneMatch is null && ifMatch is null) || !_sendsConditions)
        {
            return await call(null, null).ConfigureAwait(false);
        }
        try
        {
            return await call(ifNoneMatch, ifMatch).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotImplemented)
        {
            _sendsConditions = false;
            LogConditionsUnsupported(_logger, Description);
            return await call(null, null).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = LogEvents.S3ConditionsUnsupported, Level = LogLevel.Warning, Message = "{Store} does not implement conditional writes (If-None-Match, If-Match); they are checked against its objects just before each write instead")]
    private static partial void LogConditionsUnsupported(ILogger logger, string store);

    [LoggerMessage(EventId = LogEvents.S3AttributesLeft, Level = LogLevel.Warning, Message = "{Store}: the attribute object of a replaced or refused version of {Key} could not be removed and is left behind (never read): {Reason}")]
    private static partial void LogAttributesLeft(ILogger logger, string store, string key, string reason);

    [LoggerMessage(EventId = LogEvents.S3AbortUnsupported, Level = LogLevel.Warning, Message = "{Store} cannot abort multipart uploads; an AbortIncompleteMultipartUpload lifecycle rule must reclaim them")]
    private static partial void LogAbortUnsupported(ILogger logger, string store);
}

/// <summary>The gateway's metadata of an S3 object, as base64url JSON in <c>x-amz-meta-og</c>.</summary>
internal sealed record S3ObjectRecord(
    [property: JsonPropertyName("m")] string? Md5Hex,
    [property: JsonPropertyName("e")] string? ETag,
    [property: JsonPropertyName("h")] string[][]? Headers,
    [property: JsonPropertyName("g")] Dictionary<string, string>? Gateway,
    [property: JsonPropertyName("v")] string? VersionId = null)
{
    public string Encode() => System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this, S3ObjectRecordJsonContext.Default.S3ObjectRecord));

    public static S3ObjectRecord? Decode(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(System.Buffers.Text.Base64Url.DecodeFromChars(text), S3ObjectRecordJsonContext.Default.S3ObjectRecord);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(S3ObjectRecord))]
internal sealed partial class S3ObjectRecordJsonContext : JsonSerializerContext;
