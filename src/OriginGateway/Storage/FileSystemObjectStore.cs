using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using OriginGateway.Observability;
using OriginGateway.Protocol;

namespace OriginGateway.Storage;

/// <summary>
/// A bucket on the local file system. Keys never become paths: each version of an object is one
/// file named by the SHA-256 of its key and a version number
/// (<c>objects/ab/abcd….0000018f….obj</c>), holding the body followed by its metadata
/// (<see cref="ObjectFileFormat"/>). A write streams into a staging file beside its destination
/// (<c>objects/ab/….tmp</c>) and is committed by one rename within that directory — a rename across
/// directories takes the file system's one rename lock, and one shared staging directory's lock
/// serialised every create: concurrent writes queued on both. The newest version of a key wins, older
/// ones are deleted. ACL and tag changes after the write go into an attribute file beside the version
/// (<c>….attr</c>, replaced by one rename), so the body is never rewritten for them. An ordered
/// in-memory index (rebuilt from the files at start-up) answers lookups and LIST in UTF-8 binary order.
/// </summary>
internal sealed partial class FileSystemObjectStore : IObjectStore
{
    private const string FileSuffix = ".obj";
    private const string AttributesSuffix = ".attr";
    private const string ProbePrefix = ".ready-";

    private readonly string _objectsDirectory;
    private readonly bool _flushToDisk;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WriteFailureLatch _writeFailures;
    private readonly ConcurrentDictionary<string, ObjectEntry> _entries = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _order = new(Utf8OrdinalComparer.Instance);
    private readonly Lock _orderLock = new();
    private readonly Lock[] _keyLocks = Enumerable.Range(0, 64).Select(_ => new Lock()).ToArray();
    private readonly bool[] _shardCreated = new bool[256];

    private readonly HotObjectCache _hot;

    /// <summary>One delegate for every body the hot cache keeps (a method group would make one per body).</summary>
    private readonly Func<ObjectEntry, bool> _isCurrent;

    /// <summary>Makes an entry's file path when asked: one delegate for every entry, no path kept per object.</summary>
    private readonly Func<ObjectEntry, string> _locate;

    public FileSystemObjectStore(string root, bool flushToDisk, TimeProvider time, ILogger logger, HotObjectCache? hot = null)
    {
        _hot = hot ?? HotObjectCache.None;
        _isCurrent = IsCurrent;
        _locate = PathOf;
        Root = Path.GetFullPath(root);
        _objectsDirectory = Path.Combine(Root, "objects");
        _flushToDisk = flushToDisk;
        _time = time;
        _logger = logger;
        _writeFailures = new WriteFailureLatch(time);
        Directory.CreateDirectory(_objectsDirectory);
        // Where earlier versions staged every write; swept once and removed.
        var formerStaging = Path.Combine(Root, "staging");
        if (Directory.Exists(formerStaging))
        {
            StagingFileSession.Sweep(formerStaging);
            TryDeleteDirectory(formerStaging);
        }
        LoadIndex();
    }

    public string Root { get; }

    public int Count => _entries.Count;

    public ObjectEntry? Find(string key) => _entries.TryGetValue(key, out var entry) ? entry : null;

    public ValueTask<ObjectEntry?> FindAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult(Find(key));

    public ValueTask<ObjectReader?> OpenAsync(ObjectEntry entry, long offset, long length, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_hot.TryOpen(entry) ?? OpenCaching(entry));

    /// <summary>Opens the entry's file; a body small enough for the hot-object cache is read whole and kept there.</summary>
    private ObjectReader? OpenCaching(ObjectEntry entry)
    {
        var file = Open(entry);
        if (file is null || !_hot.Admits(entry.Length))
        {
            return file;
        }
        var body = GC.AllocateUninitializedArray<byte>((int)entry.Length);
        var filled = 0;
        while (filled < body.Length && file.Read(body.AsSpan(filled), filled) is var read and > 0)
        {
            filled += read;
        }
        if (filled < body.Length)
        {
            // A file shorter than its entry says is not cached; its reader fails on it as it always did.
            return file;
        }
        file.Dispose();
        return _hot.Add(entry, body, _isCurrent);
    }

    /// <summary>The file of an entry's version: <c>objects/ab/&lt;hash&gt;.&lt;version&gt;.obj</c>, as its commit named it.</summary>
    private string PathOf(ObjectEntry entry)
    {
        // Made on every open of a body from disk: the key's hash on the stack, the path the one allocation.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashKey(entry.Key, hash);
        // <objects>/ab/<64 hex>.<16 hex>.obj
        var parts = new PathParts(_objectsDirectory, hash, entry.Version);
        return string.Create(parts.Directory.Length + 4 + (2 * SHA256.HashSizeInBytes) + 1 + 16 + FileSuffix.Length, parts, static (path, parts) =>
        {
            parts.Directory.CopyTo(path);
            var at = parts.Directory.Length;
            path[at++] = Path.DirectorySeparatorChar;
            Convert.TryToHexStringLower(parts.Hash[..1], path[at..], out _);
            at += 2;
            path[at++] = Path.DirectorySeparatorChar;
            Convert.TryToHexStringLower(parts.Hash, path[at..], out var written);
            at += written;
            path[at++] = '.';
            parts.Version.TryFormat(path[at..], out written, "x16", System.Globalization.CultureInfo.InvariantCulture);
            at += written;
            FileSuffix.CopyTo(path[at..]);
        });
    }

    private readonly ref struct PathParts(string directory, ReadOnlySpan<byte> hash, long version)
    {
        public string Directory { get; } = directory;

        public ReadOnlySpan<byte> Hash { get; } = hash;

        public long Version { get; } = version;
    }

    private bool IsCurrent(ObjectEntry entry) => _entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry);

    public FileObjectReader? Open(ObjectEntry entry)
    {
        try
        {
            var handle = File.OpenHandle(entry.Location, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new FileObjectReader(handle, entry.Length);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Replaced by a newer version (the caller looks again), or removed behind our back:
            // then the key degrades to a miss.
            lock (KeyLock(entry.Key))
            {
                if (_entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
                {
                    LogVanished(_logger, KeyHash.Of(entry.Key));
                    RemoveFromIndex(entry.Key);
                }
            }
            return null;
        }
    }

    public ObjectWriteSession BeginWrite(string key, ObjectWrite write)
    {
        var hash = FileNameHash(key);
        return new StagingSession(this, key, hash, write, StagingFiles.NewPath(ShardDirectory(hash)));
    }

    /// <summary>Nothing to forget: this replica's disk is the only copy.</summary>
    public void Forget(string key)
    {
    }

    /// <summary>A staging file beside its destination: the body from offset 0, the trailer added at commit, then one rename.</summary>
    private sealed class StagingSession(FileSystemObjectStore store, string key, string hash, ObjectWrite write, string path)
        : StagingFileSession(key, write, path, store._writeFailures)
    {
        protected override async Task<ObjectEntry> CommitVerifiedAsync(string md5Hex, CancellationToken cancellationToken)
        {
            var trailer = new ObjectTrailer(
                Key,
                Length,
                md5Hex,
                store._time.GetUtcNow().ToUnixTimeMilliseconds(),
                Write.ContentType ?? "application/octet-stream",
                Write.Headers.Select(h => new[] { h.Key, h.Value }).ToArray(),
                Write.GatewayMetadata is { Count: > 0 } g ? new Dictionary<string, string>(g, StringComparer.Ordinal) : null,
                Write.ETag,
                Write.Attributes?.ToRecord());
            File.Write(ObjectFileFormat.EncodeTrailer(trailer));
            File.Flush(Write.Durable && store._flushToDisk);
            // Closed before the rename: a file still open for writing would hand readers a locked file.
            await File.DisposeAsync().ConfigureAwait(false);
            var entry = store.Commit(Key, hash, StagingPath, trailer, Write.Condition);
            StagingFileMoved();
            return entry;
        }
    }

    public ValueTask<ObjectEntry?> SetAttributesAsync(ObjectEntry entry, ObjectAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(SetAttributes(entry, attributes));

    /// <summary>Writes the attribute file of the entry's version (staged, flushed, one rename) and updates the index.</summary>
    public ObjectEntry? SetAttributes(ObjectEntry entry, ObjectAttributes attributes)
    {
        var staging = StagingFiles.NewPath(Path.GetDirectoryName(entry.Location)!);
        var moved = false;
        try
        {
            using (var file = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(new ObjectAttributesFile(entry.VersionId, attributes.ToRecord()).Encode());
                file.Flush(_flushToDisk);
            }
            lock (KeyLock(entry.Key))
            {
                if (!_entries.TryGetValue(entry.Key, out var current) || current.Version != entry.Version)
                {
                    return null;
                }
                File.Move(staging, AttributesPath(current.Location), overwrite: true);
                moved = true;
                var updated = current.WithAttributes(attributes, fileBeside: true);
                _entries[entry.Key] = updated;
                return updated;
            }
        }
        catch (IOException e)
        {
            _writeFailures.Record(e);
            throw;
        }
        finally
        {
            // Only a file that was not moved into place is left to remove (no unlink that can only fail).
            if (!moved)
            {
                TryDelete(staging);
            }
        }
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken, WriteCondition? condition = null) => ValueTask.FromResult(Delete(key, condition));

    /// <summary>Nothing to do: unfinished writes are staging files (<c>*.tmp</c>), swept at start-up.</summary>
    public ValueTask<int> SweepAbandonedWritesAsync(CancellationToken cancellationToken) => ValueTask.FromResult(0);

    public ValueTask<ListResult> ListAsync(ListRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(List(request));

    public bool Delete(string key, WriteCondition? condition = null)
    {
        lock (KeyLock(key))
        {
            _entries.TryGetValue(key, out var entry);
            // Checked under the key's lock, as a commit's condition is.
            if (condition?.Check(entry) is { } failed)
            {
                throw new WriteConditionFailedException(failed);
            }
            if (entry is null)
            {
                return false;
            }
            // The file goes first: a crash after it leaves nothing to resurrect at start-up. A file that cannot be removed (a
            // disk the kernel turned read-only, a permission) fails the delete with the object kept and listed, never a 204
            // whose object a restart brings back.
            try
            {
                File.Delete(entry.Location);
            }
            catch (DirectoryNotFoundException)
            {
                // Gone with its directory: nothing left to remove.
            }
            catch (IOException e)
            {
                _writeFailures.Record(e);
                throw;
            }
            RemoveAttributesFile(entry, entry.Location);
            RemoveFromIndex(key);
            return true;
        }
    }

    public ListResult List(ListRequest request)
    {
        var contents = new List<ObjectEntry>();
        var prefixes = new List<string>();
        var truncated = false;
        string? nextMarker = null;
        if (request.MaxKeys <= 0)
        {
            return new ListResult(contents, prefixes, false, null);
        }

        var lower = Utf8OrdinalComparer.Instance.Compare(request.Prefix, request.Marker) >= 0 ? request.Prefix : request.Marker;
        var delimiter = string.IsNullOrEmpty(request.Delimiter) ? null : request.Delimiter;
        string? lastPrefix = null;
        lock (_orderLock)
        {
            foreach (var key in _order.GetViewBetween(lower, Utf8OrdinalComparer.Max))
            {
                if (!key.StartsWith(request.Prefix, StringComparison.Ordinal))
                {
                    break;
                }
                if (key.Length > 0 && string.Equals(key, request.Marker, StringComparison.Ordinal))
                {
                    continue;
                }
                string? commonPrefix = null;
                if (delimiter is not null)
                {
                    var at = key.IndexOf(delimiter, request.Prefix.Length, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        commonPrefix = key[..(at + delimiter.Length)];
                        if (string.Equals(commonPrefix, lastPrefix, StringComparison.Ordinal) || string.Equals(commonPrefix, request.Marker, StringComparison.Ordinal))
                        {
                            continue;
                        }
                    }
                }
                if (contents.Count + prefixes.Count == request.MaxKeys)
                {
                    truncated = true;
                    break;
                }
                if (commonPrefix is not null)
                {
                    prefixes.Add(commonPrefix);
                    lastPrefix = commonPrefix;
                    nextMarker = commonPrefix;
                }
                else if (_entries.TryGetValue(key, out var entry))
                {
                    contents.Add(entry);
                    nextMarker = key;
                }
            }
        }
        return new ListResult(contents, prefixes, truncated, truncated ? nextMarker : null);
    }

    public ValueTask<string?> CheckHealthAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(IsHealthy(out var problem) ? null : problem);

    public bool IsHealthy(out string? problem)
    {
        if (_writeFailures.Problem($"object store at {Root}") is { } failed)
        {
            problem = failed;
            return false;
        }
        // A probe with some bytes in it: an empty file can still be created on a full disk. Removed also when the
        // write failed (a full disk keeps no probe); one a crash left behind is swept at the next start.
        var probe = Path.Combine(_objectsDirectory, ProbePrefix + Environment.ProcessId);
        try
        {
            File.WriteAllBytes(probe, new byte[4096]);
            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"object store at {Root} is not writable: {e.Message}";
            return false;
        }
        finally
        {
            TryDelete(probe);
        }
    }

    /// <summary>The directory of a key's files (<c>objects/ab/</c> for a hash starting <c>ab</c>), created on first use.</summary>
    private string ShardDirectory(string hash)
    {
        var directory = Path.Combine(_objectsDirectory, hash[..2]);
        var shard = Convert.ToInt32(hash[..2], 16);
        if (!_shardCreated[shard])
        {
            Directory.CreateDirectory(directory);
            _shardCreated[shard] = true;
        }
        return directory;
    }

    private ObjectEntry Commit(string key, string hash, string stagingPath, ObjectTrailer trailer, WriteCondition? condition)
    {
        var directory = Path.GetDirectoryName(stagingPath)!;
        ObjectEntry? previous;
        ObjectEntry entry;
        lock (KeyLock(key))
        {
            _entries.TryGetValue(key, out previous);
            // Checked under the key's lock: of two conditional writers racing for one key, only one commits.
            if (condition?.Check(previous) is { } failed)
            {
                throw new WriteConditionFailedException(failed);
            }
            // Versions only grow for a key, whatever the clock does.
            var version = Math.Max(_time.GetUtcNow().UtcTicks, (previous?.Version ?? 0) + 1);
            var path = VersionPath(directory, hash, version);
            StagingFiles.MoveNoReplace(stagingPath, path);
            entry = ToEntry(trailer, version);
            _entries[key] = entry;
            if (previous is null)
            {
                lock (_orderLock)
                {
                    _order.Add(key);
                }
            }
        }
        // The replaced version is no longer in the index, so nothing else touches its files: they are removed after the
        // key's lock is let go (commits of other keys share the lock's stripe). A crash before this leaves two versions;
        // the start-up scan keeps the newer.
        if (previous is not null)
        {
            // The same key: its hash is at hand, the replaced version's path needs no second one.
            DeleteVersionFiles(previous, VersionPath(directory, hash, previous.Version));
        }
        return entry;
    }

    private static string VersionPath(string directory, string hash, long version) => Path.Combine(directory, $"{hash}.{version:x16}{FileSuffix}");

    private void RemoveFromIndex(string key)
    {
        _entries.TryRemove(key, out _);
        lock (_orderLock)
        {
            _order.Remove(key);
        }
    }

    private void LoadIndex()
    {
        var newest = new Dictionary<string, (long Version, string Path)>(StringComparer.Ordinal);
        var attributeFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(_objectsDirectory, "*", SearchOption.AllDirectories))
        {
            if (path.EndsWith(StagingFiles.Suffix, StringComparison.Ordinal) || Path.GetFileName(path.AsSpan()).StartsWith(ProbePrefix, StringComparison.Ordinal))
            {
                // A write or a readiness probe a crash interrupted: never an object.
                TryDelete(path);
                continue;
            }
            if (path.EndsWith(AttributesSuffix, StringComparison.Ordinal))
            {
                attributeFiles.Add(path);
                continue;
            }
            if (!path.EndsWith(FileSuffix, StringComparison.Ordinal))
            {
                continue;
            }
            var name = Path.GetFileNameWithoutExtension(path);
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            // Only names as a commit makes them (the entry makes its path again from the key and version when asked).
            if (dot != 64 || name.Length != dot + 17 || name.AsSpan(dot + 1).ContainsAnyInRange('A', 'F')
                || !long.TryParse(name.AsSpan(dot + 1), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var version))
            {
                continue;
            }
            var hash = name[..dot];
            if (newest.TryGetValue(hash, out var seen))
            {
                // A crash between a commit's rename and the old version's removal leaves two.
                var (keep, drop) = seen.Version >= version ? (seen, (version, path)) : ((version, path), seen);
                TryDelete(drop.Item2);
                newest[hash] = keep;
            }
            else
            {
                newest[hash] = (version, path);
            }
        }

        foreach (var (hash, (version, path)) in newest)
        {
            ObjectTrailer? trailer;
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                trailer = ObjectFileFormat.TryReadTrailer(handle);
            }
            if (trailer is null || !string.Equals(FileNameHash(trailer.Key), hash, StringComparison.Ordinal))
            {
                LogCorrupt(_logger, path);
                TryDelete(path);
                continue;
            }
            var entry = ToEntry(trailer, version);
            var attributesPath = AttributesPath(path);
            if (attributeFiles.Remove(attributesPath) && ReadAttributes(attributesPath, entry) is { } attributes)
            {
                entry = entry.WithAttributes(attributes, fileBeside: true);
            }
            _entries[trailer.Key] = entry;
            _order.Add(trailer.Key);
        }
        // Attribute files of versions that are gone (a crash between a commit and its clean-up).
        foreach (var orphan in attributeFiles)
        {
            TryDelete(orphan);
        }
    }

    private ObjectAttributes? ReadAttributes(string path, ObjectEntry entry)
    {
        if (ObjectAttributesFile.Decode(File.ReadAllBytes(path)) is { } file && file.Version == entry.VersionId)
        {
            return ObjectAttributes.FromRecord(file.Attributes);
        }
        LogCorrupt(_logger, path);
        TryDelete(path);
        return null;
    }

    /// <summary>
    /// A version's file, then its attribute file — only where it has one: most versions never had their attributes changed,
    /// so no unlink (and the stat a missing file costs) for them.
    /// </summary>
    private static void DeleteVersionFiles(ObjectEntry entry, string path)
    {
        TryDelete(path);
        RemoveAttributesFile(entry, path);
    }

    private static void RemoveAttributesFile(ObjectEntry entry, string path)
    {
        if (entry.AttributesFileBeside)
        {
            TryDelete(AttributesPath(path));
        }
    }

    private static string AttributesPath(string objectPath) => string.Concat(objectPath.AsSpan(0, objectPath.Length - FileSuffix.Length), AttributesSuffix);

    private ObjectEntry ToEntry(ObjectTrailer trailer, long version) => new(
        trailer.Key,
        null,
        version,
        trailer.Length,
        trailer.Md5Hex,
        DateTimeOffset.FromUnixTimeMilliseconds(trailer.LastModifiedUnixMs),
        trailer.ContentType,
        trailer.Headers.Where(h => h.Length == 2).Select(h => new KeyValuePair<string, string>(h[0], h[1])).ToArray(),
        trailer.Gateway,
        trailer.ETag,
        attributes: ObjectAttributes.FromRecord(trailer.Attributes),
        locate: _locate);

    private Lock KeyLock(string key) => _keyLocks[(uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_keyLocks.Length];

    /// <summary>The key's file name stem: lowercase hex SHA-256 of its UTF-8 bytes.</summary>
    internal static string FileNameHash(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashKey(key, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>SHA-256 of the key's UTF-8 bytes (keys are at most a few KiB: on the stack up to 1 KiB, pooled beyond).</summary>
    private static void HashKey(string key, Span<byte> hash)
    {
        var length = Encoding.UTF8.GetByteCount(key);
        var rented = length > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[length];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], hash);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void TryDelete(string path) => StagingFileSession.TryDelete(path);

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(EventId = LogEvents.ObjectFileVanished, Level = LogLevel.Warning, Message = "Object file with key hash {KeyHash} vanished from disk; the key is now a miss")]
    private static partial void LogVanished(ILogger logger, string keyHash);

    [LoggerMessage(EventId = LogEvents.ObjectFileCorrupt, Level = LogLevel.Warning, Message = "Discarded an incomplete or corrupt object file {Path}")]
    private static partial void LogCorrupt(ILogger logger, string path);
}
