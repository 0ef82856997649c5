using Microsoft.AspNetCore.Http;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.Rules;

/// <summary>
/// The origin request a rule builds for a key (<c>01-data-plane.md</c> §1.3 "Building the origin
/// request"): scheme, path and query, and the headers sent (and the client's headers dropped).
/// The host is chosen separately, per attempt.
/// </summary>
internal sealed record OriginRequestPlan(string Scheme, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, IReadOnlyList<string> Dropped)
{
    /// <summary>The token the gateway adds to <c>Via</c>; more than 3 on an incoming request is a loop.</summary>
    public const string ViaToken = "origin-gateway";
    private const string OwnVia = "1.1 " + ViaToken;

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    };

    /// <summary>Never forwarded with FollowAllHeaders: the gateway's own business.</summary>
    private static readonly HashSet<string> NotFollowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "Cookie", "Range", "Via", "Content-Length", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range",
    };

    private static readonly UriCreationOptions Literal = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public Uri UrlFor(string host) => Url(Scheme, host, PathAndQuery);

    /// <summary>
    /// The origin URL as text, as <c>UrlFor(host).AbsoluteUri</c> spells it: the scheme and host as <see cref="Uri"/>
    /// normalises them (kept per scheme and host: rules name few hosts), then the path and query exactly as built.
    /// A redirect answers this for every request; parsing a <see cref="Uri"/> each time was among its largest costs.
    /// </summary>
    public string LocationFor(string host) => AuthorityFor(host) + PathAndQuery;

    /// <summary>The scheme and host as <see cref="Uri"/> normalises them (<c>UrlFor(host).GetLeftPart(UriPartial.Authority)</c>), kept.</summary>
    public string AuthorityFor(string host)
    {
        var key = (Scheme, host);
        if (!Authorities.TryGetValue(key, out var authority))
        {
            authority = Url(Scheme, host, "/").GetLeftPart(UriPartial.Authority);
            if (Authorities.Count >= MaxAuthorities)
            {
                Authorities.Clear();
            }
            Authorities[key] = authority;
        }
        return authority;
    }

    private const int MaxAuthorities = 1024;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Scheme, string Host), string> Authorities = new();

    /// <summary>
    /// An origin URL whose path is sent exactly as built: keys are names, so a key <c>a/../b</c>
    /// reaches the origin as <c>/a/../b</c>, never collapsed into <c>/b</c>.
    /// </summary>
    public static Uri Url(string scheme, string host, string pathAndQuery) => new($"{scheme}://{host}{pathAndQuery}", Literal);

    /// <summary>Only where the origin request goes (scheme, path and query), no headers: all a redirect needs.</summary>
    public static OriginRequestPlan Target(CompiledRule rule, string key, string clientScheme, string? rawQuery)
    {
        var (scheme, pathAndQuery) = SchemeAndPath(rule, key, clientScheme, rawQuery);
        return new OriginRequestPlan(scheme, pathAndQuery, [], []);
    }

    private static (string Scheme, string PathAndQuery) SchemeAndPath(CompiledRule rule, string key, string clientScheme, string? rawQuery)
    {
        var scheme = rule.Protocol switch
        {
            OriginProtocol.Http => "http",
            OriginProtocol.Https => "https",
            _ => clientScheme,
        };
        var pathAndQuery = EncodePath(rule.OriginPath(key));
        if (rule.FollowQueryString && FilterQuery(rawQuery) is { Length: > 0 } query)
        {
            pathAndQuery += "?" + query;
        }
        return (scheme, pathAndQuery);
    }

    public static OriginRequestPlan Build(CompiledRule rule, string key, string clientScheme, string? rawQuery, IHeaderDictionary clientHeaders)
    {
        var (scheme, pathAndQuery) = SchemeAndPath(rule, key, clientScheme, rawQuery);
        var sent = new List<KeyValuePair<string, string>>();
        var dropped = new List<string>();
        // Most requests name no header in Connection and come through no proxy: no set, no list for them.
        var connection = clientHeaders.Connection;
        var connectionListed = connection.Count == 0 ? null : new HashSet<string>(
            connection.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)),
            StringComparer.OrdinalIgnoreCase);
        List<string>? via = null;
        foreach (var (name, values) in clientHeaders)
        {
            if (name.Equals("Via", StringComparison.OrdinalIgnoreCase))
            {
                (via ??= []).AddRange(values.Where(v => v is not null)!);
                continue;
            }
            if (Forwarded(rule, name, connectionListed))
            {
                sent.Add(new(name, values.ToString()));
            }
            else
            {
                dropped.Add(name);
            }
        }
        foreach (var (name, value) in rule.NewHeaders)
        {
            sent.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
            sent.Add(new(name, value));
        }
        via?.Add(OwnVia);
        sent.Add(new("Via", via is null ? OwnVia : string.Join(", ", via)));
        return new OriginRequestPlan(scheme, pathAndQuery, sent, dropped);
    }

    /// <summary>How many times the gateway's token appears in a request's Via headers.</summary>
    public static int ViaHops(IHeaderDictionary headers)
    {
        var count = 0;
        foreach (var value in headers.Via)
        {
            var span = (value ?? "").AsSpan();
            int at;
            while ((at = span.IndexOf(ViaToken, StringComparison.OrdinalIgnoreCase)) >= 0)
            {
                count++;
                span = span[(at + ViaToken.Length)..];
            }
        }
        return count;
    }

    private static bool Forwarded(CompiledRule rule, string name, HashSet<string>? connectionListed)
    {
        if (HopByHop.Contains(name) || connectionListed?.Contains(name) == true || rule.ForbidHeaders.Contains(name)
            || name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase) || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (rule.FollowAllHeaders)
        {
            return !NotFollowed.Contains(name);
        }
        return rule.FollowHeaders.Contains(name) && !name.Equals("Range", StringComparison.OrdinalIgnoreCase) && !name.Equals("Host", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The client's raw query without the COS presigning parameters, and without a part GET's <c>partNumber</c> (a part is
    /// the gateway's to answer; what a miss asks of an origin is the object, and an S3 origin would answer a part); raw parts
    /// kept as sent.
    /// </summary>
    public static string FilterQuery(string? rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery))
        {
            return "";
        }
        var kept = new List<string>();
        var parts = rawQuery.Split('&');
        var presignedV2 = parts.Any(p => p.StartsWith("AWSAccessKeyId=", StringComparison.Ordinal));
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                continue;
            }
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
            // A signature for this gateway never goes on to an origin.
            if (!CosAuthenticator.IsSignatureParameter(name) && !(presignedV2 && CosAuthenticator.IsV2SignatureParameter(name)) && name != "partNumber")
            {
                kept.Add(part);
            }
        }
        return string.Join('&', kept);
    }

    /// <summary>Percent-encodes a decoded path (starting with '/') for the wire, keeping '/' and unreserved characters.</summary>
    public static string EncodePath(string path) =>
        NeedsEncoding(path) ? "/" + string.Join('/', path[1..].Split('/').Select(CosUrlEncoding.Encode)) : path;

    /// <summary>Whether any character of the path is neither '/' nor unreserved (most keys need no encoding at all).</summary>
    private static bool NeedsEncoding(string path)
    {
        foreach (var c in path.AsSpan(1))
        {
            if (c != '/' && !CosUrlEncoding.IsUnreserved(c))
            {
                return true;
            }
        }
        return false;
    }
}
