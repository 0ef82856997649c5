using System.Text;
using OriginGateway.Buckets;
using OriginGateway.Origins;
using OriginGateway.Protocol;
using OriginGateway.Storage;
using OriginGateway.Tasks;

namespace OriginGateway.Vod;

/// <summary>
/// Pulls an HLS stream whole (<c>02-tasks.md</c> §2.4): the playlist, its variant playlists, every
/// segment, key and map, each stored beside the master (query strings dropped; URIs outside the
/// master's directory or on another host under <c>&lt;master dir&gt;/_ext/&lt;host&gt;/&lt;path&gt;</c>),
/// with every stored playlist rewritten to relative URIs so the copy plays from the bucket. Bounded
/// by <see cref="VodOptions.MaxHlsFiles"/>; progress is files done over files known.
/// </summary>
internal sealed class HlsPull(OriginFetcher fetcher, TaskFill fill, OriginPullOptions pull, VodOptions vod)
{
    /// <summary>The largest playlist read into memory.</summary>
    public const int MaxPlaylistBytes = 4 * 1024 * 1024;

    private static readonly string[] UriTags = ["#EXT-X-KEY", "#EXT-X-MAP", "#EXT-X-MEDIA", "#EXT-X-I-FRAME-STREAM-INF", "#EXT-X-SESSION-KEY", "#EXT-X-PART", "#EXT-X-PRELOAD-HINT"];

    public async Task<TaskOutcome> PullAsync(Bucket bucket, string masterKey, string masterUrlText, TaskRun run, CancellationToken cancellationToken)
    {
        if (TaskUrl.Parse(masterUrlText, schemeOptional: false, out var error) is not { } masterUrl)
        {
            return TaskOutcome.Permanent("InvalidArgument", "MediaUrl " + error + ".");
        }
        var masterDirectoryKey = masterKey[..(masterKey.LastIndexOf('/') + 1)];
        var masterDirectoryUrl = new Uri(masterUrl, ".");
        var state = new Pull(bucket, masterUrl, masterDirectoryUrl, masterDirectoryKey, run);
        state.Keys[Normal(masterUrl)] = masterKey;
        state.Playlists.Enqueue(masterUrl);
        long bytes = 0;
        // 1. Every playlist, read and rewritten in memory: the whole stream is known (and bounded) before anything is stored.
        while (state.Playlists.TryDequeue(out var playlistUrl))
        {
            var outcome = await PlaylistAsync(state, playlistUrl, cancellationToken).ConfigureAwait(false);
            if (outcome is not null)
            {
                return outcome;
            }
        }
        // 2. Segments, keys and maps.
        foreach (var (url, key) in state.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await TaskFill.StoredByAsync(bucket, key, run.Task.Id, cancellationToken).ConfigureAwait(false) is null)
            {
                var outcome = await FileAsync(bucket, key, url, run, cancellationToken).ConfigureAwait(false);
                if (!outcome.Succeeded)
                {
                    if (!outcome.Transient || run.Task.Attempts >= run.Task.MaxAttempts)
                    {
                        await RemoveStoredAsync(state).ConfigureAwait(false);
                    }
                    return outcome with { Message = $"{url}: {outcome.Message}" };
                }
                bytes += outcome.Size ?? 0;
            }
            state.Done++;
            run.Progress(state.Done, state.Total);
        }
        // 3. The playlists, the master last: the stored stream is playable only once it is whole.
        foreach (var (key, body) in state.Rewritten.OrderBy(p => p.Key == masterKey ? 1 : 0))
        {
            var write = new ObjectWrite("application/vnd.apple.mpegurl", [], null, body.Length, pull.MaxObjectSize,
                new Dictionary<string, string>(StringComparer.Ordinal) { [TaskFill.TaskMetadata] = run.Task.Id });
            using var content = new MemoryStream(body);
            var result = await bucket.Store.PutAsync(key, content, write, cancellationToken).ConfigureAwait(false);
            if (result.Status != ObjectWriteStatus.Committed)
            {
                return TaskOutcome.Retry(Dependencies.DependencyFailure.StoreFailed, "A playlist could not be stored.");
            }
            bytes += body.Length;
            state.Done++;
            run.Progress(state.Done, state.Total);
        }
        var master = await bucket.Store.FindAsync(masterKey, cancellationToken).ConfigureAwait(false);
        return TaskOutcome.Success(bytes, master?.Md5Hex ?? "", $"HLS: {state.Total} files") with { Keys = [.. state.Keys.Values] };
    }

    /// <summary>A stream that failed for good leaves nothing behind: the files this task stored are removed.</summary>
    private static async Task RemoveStoredAsync(Pull state)
    {
        foreach (var (_, key) in state.Files)
        {
            if (await TaskFill.StoredByAsync(state.Bucket, key, state.Run.Task.Id, CancellationToken.None).ConfigureAwait(false) is not null)
            {
                await state.Bucket.Store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private sealed class Pull(Bucket bucket, Uri master, Uri masterDirectory, string masterDirectoryKey, TaskRun run)
    {
        public Bucket Bucket { get; } = bucket;

        public Uri Master { get; } = master;

        public Uri MasterDirectory { get; } = masterDirectory;

        public string MasterDirectoryKey { get; } = masterDirectoryKey;

        public TaskRun Run { get; } = run;

        /// <summary>Every URL (without query or fragment) and its key.</summary>
        public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

        public Queue<Uri> Playlists { get; } = new();

        /// <summary>Rewritten playlists by key, stored last.</summary>
        public Dictionary<string, byte[]> Rewritten { get; } = new(StringComparer.Ordinal);

        /// <summary>Segments, keys and maps to fetch, in order.</summary>
        public List<(Uri Url, string Key)> Files { get; } = [];

        public int Total => Keys.Count;

        public int Done { get; set; }
    }

    /// <summary>Reads one playlist, queues what it names, stores it rewritten; null when all went well.</summary>
    private async Task<TaskOutcome?> PlaylistAsync(Pull state, Uri url, CancellationToken cancellationToken)
    {
        var (text, failure) = await ReadAsync(url, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure with { Message = $"{url}: {failure.Message}" };
        }
        if (!text!.TrimStart('\uFEFF').StartsWith("#EXTM3U", StringComparison.Ordinal))
        {
            return TaskOutcome.Permanent("BadPlaylist", $"{url} is not an HLS playlist (#EXTM3U missing).");
        }
        var playlistKey = state.Keys[Normal(url)];
        var rewritten = new StringBuilder(text.Length);
        var nextIsPlaylist = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0)
            {
                rewritten.Append('\n');
                continue;
            }
            if (line.StartsWith('#'))
            {
                if (line.StartsWith("#EXT-X-STREAM-INF", StringComparison.Ordinal))
                {
                    nextIsPlaylist = true;
                }
                var tag = UriTags.FirstOrDefault(t => line.StartsWith(t, StringComparison.Ordinal));
                var quoted = tag is null ? -1 : line.IndexOf("URI=\"", StringComparison.Ordinal);
                if (quoted >= 0)
                {
                    var start = quoted + 5;
                    var end = line.IndexOf('"', start);
                    if (end > start)
                    {
                        var isPlaylist = tag is "#EXT-X-MEDIA" or "#EXT-X-I-FRAME-STREAM-INF";
                        var (relative, problem) = Reference(state, url, playlistKey, line[start..end], isPlaylist);
                        if (problem is not null)
                        {
                            return problem;
                        }
                        line = line[..start] + relative + line[end..];
                    }
                }
                rewritten.Append(line).Append('\n');
                continue;
            }
            var (target, error) = Reference(state, url, playlistKey, line.Trim(), nextIsPlaylist || IsPlaylistName(line));
            if (error is not null)
            {
                return error;
            }
            nextIsPlaylist = false;
            rewritten.Append(target).Append('\n');
        }
        if (state.Total > vod.MaxHlsFiles)
        {
            return TaskOutcome.Permanent("TooManyFiles", $"The stream names more than Vod:MaxHlsFiles ({vod.MaxHlsFiles}) files.");
        }
        state.Rewritten[playlistKey] = Encoding.UTF8.GetBytes(rewritten.ToString().TrimEnd('\n') + "\n");
        return null;
    }

    /// <summary>Resolves a URI of a playlist, gives it a key (queueing it once), and returns the relative URI to write.</summary>
    private static (string Relative, TaskOutcome? Problem) Reference(Pull state, Uri playlistUrl, string playlistKey, string uri, bool isPlaylist)
    {
        if (!Uri.TryCreate(playlistUrl, uri, out var target) || target.Scheme is not ("http" or "https"))
        {
            return ("", TaskOutcome.Permanent("BadPlaylist", $"'{uri}' in {playlistUrl} is not an http(s) URI."));
        }
        var normal = Normal(target);
        if (!state.Keys.TryGetValue(normal, out var key))
        {
            key = KeyFor(state, target);
            if (KeyDecoding.Check(key) != KeyStatus.Valid)
            {
                return ("", TaskOutcome.Permanent("BadPlaylist", $"'{uri}' cannot be stored under a valid key."));
            }
            state.Keys[normal] = key;
            if (isPlaylist)
            {
                state.Playlists.Enqueue(target);
            }
            else
            {
                state.Files.Add((target, key));
            }
        }
        return (RelativeKey(playlistKey, key), null);
    }

    /// <summary>Beside the master when under its directory on its host; otherwise under <c>_ext/&lt;host&gt;/</c>.</summary>
    private static string KeyFor(Pull state, Uri target)
    {
        var path = Uri.UnescapeDataString(target.AbsolutePath);
        var directory = Uri.UnescapeDataString(state.MasterDirectory.AbsolutePath);
        if (string.Equals(target.Authority, state.Master.Authority, StringComparison.OrdinalIgnoreCase) && target.Scheme == state.Master.Scheme
            && path.StartsWith(directory, StringComparison.Ordinal) && !path[directory.Length..].Split('/').Any(s => s is ".." or "_ext"))
        {
            return state.MasterDirectoryKey + path[directory.Length..];
        }
        var host = target.IsDefaultPort ? target.Host : $"{target.Host}_{target.Port}";
        return state.MasterDirectoryKey + "_ext/" + host + "/" + string.Join('/', path.TrimStart('/').Split('/').Select(s => s is ".." or "." ? "_" : s));
    }

    /// <summary>The relative URI from one stored key's directory to another key, percent-encoded per segment.</summary>
    internal static string RelativeKey(string fromKey, string toKey)
    {
        var from = fromKey.Split('/')[..^1];
        var to = toKey.Split('/');
        var common = 0;
        while (common < from.Length && common < to.Length - 1 && from[common] == to[common])
        {
            common++;
        }
        var parts = Enumerable.Repeat("..", from.Length - common).Concat(to[common..].Select(Uri.EscapeDataString));
        return string.Join('/', parts);
    }

    private static bool IsPlaylistName(string uri) =>
        uri.Split('?', '#')[0].EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase) || uri.Split('?', '#')[0].EndsWith(".m3u", StringComparison.OrdinalIgnoreCase);

    /// <summary>A URL without query or fragment (stored names drop them).</summary>
    private static string Normal(Uri url) => url.GetLeftPart(UriPartial.Path);

    private async Task<TaskOutcome> FileAsync(Bucket bucket, string key, Uri url, TaskRun run, CancellationToken cancellationToken)
    {
        // Per-file progress is not the task's: files done over files known is.
        var quiet = new TaskRun(run.Task, (_, _) => { });
        return await fill.RunAsync(bucket, key, OriginFetchRequest.ForUrl(url, PullUploadHandler.TaskKind), null, quiet, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(string? Text, TaskOutcome? Failure)> ReadAsync(Uri url, CancellationToken cancellationToken)
    {
        using var result = await fetcher.FetchAsync(OriginFetchRequest.ForUrl(url, PullUploadHandler.TaskKind), cancellationToken).ConfigureAwait(false);
        if (result.Outcome != OriginOutcome.Success)
        {
            return (null, TaskFill.FetchFailure(result));
        }
        var (body, failure) = await OriginBodyCopy.ReadDocumentAsync(result.Response!, MaxPlaylistBytes, pull.BodyIdleTimeout, cancellationToken).ConfigureAwait(false);
        if (failure.Length > 0)
        {
            return (null, TaskOutcome.Retry(failure, failure == OriginFailure.OriginTimeout
                ? $"The playlist's origin sent nothing for {pull.BodyIdleTimeout.TotalSeconds:0.###} s."
                : "The playlist's body ended early."));
        }
        return body is null
            ? (null, TaskOutcome.Permanent("BadPlaylist", $"The playlist is larger than {MaxPlaylistBytes} bytes."))
            : (Encoding.UTF8.GetString(body), null);
    }

    public static IReadOnlyList<string> KeysOf(TaskOutcome outcome) => outcome.Keys ?? [];
}
