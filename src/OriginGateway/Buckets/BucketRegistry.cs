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
    private readonly string[] _s3Domains;

    public BucketRegistry(IEnumerable<(Bucket Bucket, IReadOnlyList<string> Hosts)> buckets, string? defaultBucket, IReadOnlyList<string>? serviceHosts = null,
        IReadOnlyList<string>? s3Domains = null)
    {
        _serviceHosts = serviceHosts?.ToArray() ?? [];
        _s3Domains = s3Domains?.ToArray() ?? [];
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

    /// <summary>Whether <paramref name="host"/> names a bucket by itself (a configured bucket host, a COS bucket host, or a bucket under an S3 domain).</summary>
    public bool NamesABucket(ReadOnlySpan<char> host) =>
        (_byHost.Count > 0 && !host.IsEmpty && _byHostSpan.ContainsKey(host)) || !CosBucketLabel(host).IsEmpty || !S3BucketLabel(host).IsEmpty;

    /// <summary>
    /// Whether a host name is the service endpoint (<c>ServiceHosts</c>; <c>*</c> stands for one label,
    /// as in <c>cos.*.myqcloud.com</c>; or an S3 domain itself): <c>GET /</c> there lists the caller's buckets.
    /// </summary>
    public bool IsServiceHost(ReadOnlySpan<char> host)
    {
        foreach (var domain in _s3Domains)
        {
            if (host.Equals(domain, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        foreach (var pattern in _serviceHosts)
        {
            if (HostMatches(pattern, host))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The bucket label of a COS bucket host name — <c>&lt;bucket&gt;.cos.&lt;region&gt;.myqcloud.com</c>,
    /// <c>&lt;bucket&gt;.cos.&lt;region&gt;.tencentcos.cn</c> (also <c>cos-website</c> and <c>cos-internal</c>
    /// forms) — or empty when the host is not one.
    /// </summary>
    internal static ReadOnlySpan<char> CosBucketLabel(ReadOnlySpan<char> host)
    {
        if (host.EndsWith('.'))
        {
            host = host[..^1];
        }
        if (!host.EndsWith(".myqcloud.com", StringComparison.OrdinalIgnoreCase) && !host.EndsWith(".tencentcos.cn", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        var dot = host.IndexOf('.');
        if (dot <= 0)
        {
            return [];
        }
        // <bucket> . cos[-website|-internal] . <region> . myqcloud . com — five labels or more.
        var rest = host[(dot + 1)..];
        var service = rest[..Math.Max(rest.IndexOf('.'), 0)];
        var labels = host.Count('.') + 1;
        return labels >= 5 && (service.Equals("cos", StringComparison.OrdinalIgnoreCase) || service.StartsWith("cos-", StringComparison.OrdinalIgnoreCase))
            ? host[..dot]
            : [];
    }

    /// <summary>
    /// The bucket of a virtual-host S3 name under one of the S3 domains (<c>S3Domains</c>):
    /// <c>&lt;bucket&gt;.&lt;domain&gt;</c> — the bucket may hold dots — or empty when the host is not one.
    /// </summary>
    internal ReadOnlySpan<char> S3BucketLabel(ReadOnlySpan<char> host)
    {
        foreach (var domain in _s3Domains)
        {
            if (host.Length > domain.Length + 1 && host.EndsWith(domain, StringComparison.OrdinalIgnoreCase) && host[^(domain.Length + 1)] == '.')
            {
                return host[..^(domain.Length + 1)];
            }
        }
        return [];
    }

    /// <summary>The region label of a COS bucket host name (the label after <c>cos</c>).</summary>
    internal static ReadOnlySpan<char> CosRegionLabel(ReadOnlySpan<char> host)
    {
        var afterBucket = host[(host.IndexOf('.') + 1)..];
        var afterService = afterBucket[(afterBucket.IndexOf('.') + 1)..];
        var end = afterService.IndexOf('.');
        return end < 0 ? [] : afterService[..end];
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
    /// <paramref name="keyStart"/> is where the still-encoded key begins in it. Null when nothing names a
    /// bucket and there is no default, or when the host is a COS bucket host name
    /// (<c>&lt;bucket&gt;.cos.&lt;region&gt;.myqcloud.com</c>) of a bucket the gateway does not have
    /// (<paramref name="unknownBucketHost"/>).
    /// </summary>
    public Bucket? Resolve(ReadOnlySpan<char> host, string rawPath, out int keyStart, out bool pathStyle) =>
        Resolve(host, rawPath, out keyStart, out pathStyle, out _);

    public Bucket? Resolve(ReadOnlySpan<char> host, string rawPath, out int keyStart, out bool pathStyle, out bool unknownBucketHost)
    {
        pathStyle = false;
        keyStart = 1;
        unknownBucketHost = false;
        if (_byHost.Count > 0 && !host.IsEmpty && _byHostSpan.TryGetValue(host, out var byHost))
        {
            return byHost;
        }
        // A COS bucket host names its bucket (and region) in its first labels: that bucket, or none — never the default.
        if (CosBucketLabel(host) is { IsEmpty: false } label)
        {
            if (_byNameSpan.TryGetValue(label, out var byLabel) && (byLabel.Region.Length == 0 || CosRegionLabel(host).Equals(byLabel.Region, StringComparison.OrdinalIgnoreCase)))
            {
                return byLabel;
            }
            unknownBucketHost = true;
            return null;
        }
        // So does a bucket's name under an S3 domain.
        if (_s3Domains.Length > 0 && S3BucketLabel(host) is { IsEmpty: false } s3Label)
        {
            if (_byNameSpan.TryGetValue(s3Label, out var byS3Label))
            {
                return byS3Label;
            }
            unknownBucketHost = true;
            return null;
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
