using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace OriginGateway.Storage;

/// <summary>
/// An object's gateway metadata as the in-memory index keeps it: one array of name/value pairs, names shared across
/// objects (a lookup walks the array: an object carries a handful of names at most). The provenance of a pulled object
/// (<see cref="ProvenanceNames"/>: its origin URL, the time of the pull, the origin's Last-Modified) stays in the object's
/// record on disk and is not held in memory: nothing at run time asks for it, and held per object it was most of what the
/// index spent on a pulled object.
/// </summary>
internal sealed class CompactMetadata : IReadOnlyDictionary<string, string>
{
    /// <summary>The origin URL a pulled object came from (path, no query).</summary>
    public const string OriginUrl = "origin-url";

    /// <summary>When the object was pulled (round-trip date format).</summary>
    public const string PulledAt = "pulled-at";

    /// <summary>The origin's ETag of a pulled object (kept in memory: bucket sync compares it).</summary>
    public const string OriginETag = "origin-etag";

    /// <summary>The origin's Last-Modified of a pulled object.</summary>
    public const string OriginLastModified = "origin-last-modified";

    /// <summary>Names written into the object's record only, never held by the index.</summary>
    public static readonly IReadOnlySet<string> ProvenanceNames = new HashSet<string>([OriginUrl, PulledAt, OriginLastModified], StringComparer.Ordinal);

    public static readonly CompactMetadata Empty = new([]);

    // Names are few (the gateway's own); one instance of each serves every object.
    private static readonly BoundedStringPool Names = new(capacity: 64, maxLength: 64);

    private readonly string[] _pairs;

    private CompactMetadata(string[] pairs) => _pairs = pairs;

    /// <summary>What the index keeps of <paramref name="metadata"/>: every name but the provenance.</summary>
    public static CompactMetadata Of(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is CompactMetadata compact)
        {
            return compact;
        }
        if (metadata is null)
        {
            return Empty;
        }
        var kept = 0;
        foreach (var (name, _) in metadata)
        {
            kept += ProvenanceNames.Contains(name) ? 0 : 1;
        }
        if (kept == 0)
        {
            return Empty;
        }
        var pairs = new string[kept * 2];
        var at = 0;
        foreach (var (name, value) in metadata)
        {
            if (!ProvenanceNames.Contains(name))
            {
                pairs[at++] = Names.Get(name);
                pairs[at++] = value;
            }
        }
        return new CompactMetadata(pairs);
    }

    public int Count => _pairs.Length / 2;

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => Enumerable.Range(0, Count).Select(i => _pairs[2 * i]);

    public IEnumerable<string> Values => Enumerable.Range(0, Count).Select(i => _pairs[(2 * i) + 1]);

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        for (var i = 0; i < _pairs.Length; i += 2)
        {
            if (string.Equals(_pairs[i], key, StringComparison.Ordinal))
            {
                value = _pairs[i + 1];
                return true;
            }
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < _pairs.Length; i += 2)
        {
            yield return new KeyValuePair<string, string>(_pairs[i], _pairs[i + 1]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
