namespace OriginGateway.Buckets;

/// <summary>
/// Finds the bucket a data request names: virtual host, then path style, then the default
/// bucket (<c>01-data-plane.md</c> §1.1).
/// </summary>
internal sealed class BucketRegistry
{
    private readonly Dictionary<string, Bucket> _byName;
    private readonly Dictionary<string, Bucket> _byHost;
    private readonly Dictionary<string, Bucket>.AlternateLookup<ReadOnlySpan<char>> _byNameSpan;
    private readonly Dictionary<string, Bucket>.AlternateLookup<ReadOnlySpan<char>> _byHostSpan;

    private readonly string[] _serviceHosts;

    public BucketRegistry(IEnumerable<(Bucket Bucket, IReadOnlyList<string> Hosts)> buckets, string? defaultBucket, IReadOnlyList<string>? serviceHosts = null)
    {
        _serviceHosts = serviceHosts?.ToArray() ?? [];
        _byName = new(StringComparer.Ordinal);
        _byHost = new(StringComparer.OrdinalIgnoreCase);
        foreach (var (bucket, hosts) in buckets)
        {
            _byName[bucket.Name] = bucket;
            foreach (var host in hosts)
            {
                _byHost[host] = bucket;
            }
        }
        _byNameSpan = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
        _byHostSpan = _byHost.GetAlternateLookup<ReadOnlySpan<char>>();
        Default = string.IsNullOrEmpty(defaultBucket) ? null : _byName[defaultBucket];
    }

    public IEnumerable<Bucket> All => _byName.Values;

    public Bucket? Default { get; }

    public Bucket? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Whether a host name is the service endpoint (<c>ServiceHosts</c>; <c>*</c> stands for one label,
    /// as in <c>cos.*.myqcloud.com</c>): <c>GET /</c> there lists the caller's buckets.
    /// </summary>
    public bool IsServiceHost(ReadOnlySpan<char> host)
    {
        foreach (var pattern in _serviceHosts)
        {
            if (HostMatches(pattern, host))
            {
                return true;
            }
        }
        return false;
    }

    internal static bool HostMatches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> host)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
        {
            return host.Equals(pattern, StringComparison.OrdinalIgnoreCase);
        }
        var head = pattern[..star];
        var tail = pattern[(star + 1)..];
        if (host.Length <= head.Length + tail.Length
            || !host.StartsWith(head, StringComparison.OrdinalIgnoreCase)
            || !host.EndsWith(tail, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return host[head.Length..^tail.Length].IndexOf('.') < 0;
    }

    /// <summary>
    /// Resolves a request. <paramref name="rawPath"/> is the raw path (starting with '/');
    /// <paramref name="keyStart"/> is where the still-encoded key begins in it.
    /// </summary>
    public Bucket? Resolve(ReadOnlySpan<char> host, string rawPath, out int keyStart, out bool pathStyle)
    {
        pathStyle = false;
        keyStart = 1;
        if (_byHost.Count > 0 && !host.IsEmpty && _byHostSpan.TryGetValue(host, out var byHost))
        {
            return byHost;
        }

        var segmentEnd = rawPath.IndexOf('/', 1);
        var segment = segmentEnd < 0 ? rawPath.AsSpan(1) : rawPath.AsSpan(1, segmentEnd - 1);
        if (!segment.IsEmpty && _byNameSpan.TryGetValue(segment, out var byPath))
        {
            pathStyle = true;
            keyStart = segmentEnd < 0 ? rawPath.Length : segmentEnd + 1;
            return byPath;
        }
        return Default;
    }
}
