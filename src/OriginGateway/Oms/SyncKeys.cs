using System.Collections.Concurrent;

namespace OriginGateway.Oms;

/// <summary>The access keys a sync task was started with.</summary>
internal sealed record SyncCredentials(string? SourceAk, string? SourceSk, string DestinationAk, string DestinationSk, string? CdnAuthenticationKey)
{
    /// <summary>Never the keys themselves (records print their members).</summary>
    public override string ToString() => "SyncCredentials(redacted)";
}

/// <summary>
/// Sync-task keys, in this replica's memory only (<c>02-tasks.md</c> §2.5): never in the database,
/// logs or answers. Holding a task's keys makes this replica its owner: only here do its copies run.
/// </summary>
internal sealed class SyncKeys
{
    private readonly ConcurrentDictionary<string, SyncCredentials> _keys = new(StringComparer.Ordinal);

    public void Set(string taskId, SyncCredentials credentials) => _keys[taskId] = credentials;

    public SyncCredentials? Get(string taskId) => _keys.GetValueOrDefault(taskId);

    public void Forget(string taskId) => _keys.TryRemove(taskId, out _);

    public bool Owns(string taskId) => _keys.ContainsKey(taskId);

    /// <summary>The sync tasks this replica holds keys for.</summary>
    public IReadOnlyCollection<string> Owned => _keys.Keys.ToList();
}
