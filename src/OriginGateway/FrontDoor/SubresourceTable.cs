using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;
using OriginGateway.Protocol;
using OriginGateway.Security;

namespace OriginGateway.FrontDoor;

/// <summary>What a request addresses: the bucket root or an object.</summary>
internal enum ResourceTarget
{
    Bucket,
    Object,
}

/// <summary>
/// One implemented sub-resource operation: <c>?Name</c> with <paramref name="Method"/> on a bucket or an
/// object, the access it needs, and its handler. <paramref name="Companions"/> are the other
/// sub-resource names it takes beside its own (<c>?uploadId=…&amp;partNumber=…</c>).
/// </summary>
internal sealed record SubresourceRoute(
    string Name,
    ResourceTarget Target,
    string Method,
    BucketOperation Access,
    Func<DataRequest, Task> HandleAsync,
    params string[] Companions);

/// <summary>A feature's sub-resource operations; every feature that has some registers one of these.</summary>
internal interface ISubresourceProvider
{
    IEnumerable<SubresourceRoute> Routes { get; }
}

/// <summary>
/// The one table of sub-resources (<c>01-data-plane.md</c>): every COS and S3 sub-resource name, and
/// for each method and target whether the gateway implements it. The data endpoint consults it for
/// every request with a query — on a bucket and on an object — before any body is read or anything is
/// stored or deleted. A request naming a sub-resource goes to that operation's handler or is answered
/// 501 <c>NotImplemented</c>; it never falls through to a plain GET/PUT/DELETE of the object. Query
/// parameters that are not sub-resources (<c>x-id</c>, <c>response-*</c>, <c>prefix</c>, …) are not
/// looked at here.
/// </summary>
internal sealed class SubresourceTable
{
    /// <summary>Every sub-resource name known (COS, S3, and the gateway's own <c>origin-explain</c>).</summary>
    public static FrozenSet<string> Names => Subresources.Names;

    private readonly FrozenDictionary<(string Name, ResourceTarget Target, string Method), SubresourceRoute> _routes;

    public SubresourceTable(IEnumerable<ISubresourceProvider> providers)
    {
        var routes = new Dictionary<(string, ResourceTarget, string), SubresourceRoute>();
        foreach (var route in providers.SelectMany(p => p.Routes))
        {
            if (!Names.Contains(route.Name) || route.Companions.Any(c => !Names.Contains(c)))
            {
                throw new InvalidOperationException($"?{route.Name} is not in the sub-resource table.");
            }
            if (!routes.TryAdd((route.Name, route.Target, route.Method), route))
            {
                throw new InvalidOperationException($"{route.Method} ?{route.Name} on a {route.Target} is implemented twice.");
            }
        }
        _routes = routes.ToFrozenDictionary();
    }

    /// <summary>Whether <paramref name="method"/> of <c>?name</c> on <paramref name="target"/> is implemented.</summary>
    public bool IsImplemented(string name, ResourceTarget target, string method) => _routes.ContainsKey((name, target, method));

    /// <summary>The implemented operations, for documentation and tests.</summary>
    public IEnumerable<SubresourceRoute> Routes => _routes.Values;

    /// <summary>
    /// What a request's sub-resources decide. <see cref="SubresourceMatch.None"/> when it names none (the
    /// plain operation of the target applies); the route when one implemented operation takes exactly the
    /// names given; otherwise the refusal to answer.
    /// </summary>
    public SubresourceMatch Match(IReadOnlyList<KeyValuePair<string, string>>? query, ResourceTarget target, string method)
    {
        if (query is null)
        {
            return SubresourceMatch.None;
        }
        List<string>? named = null;
        foreach (var (name, _) in query)
        {
            if (Names.Contains(name))
            {
                named ??= [];
                if (!named.Contains(name))
                {
                    named.Add(name);
                }
            }
            else if (Subresources.NamesAnyCase.TryGetValue(name, out var canonical))
            {
                return SubresourceMatch.Refuse(400, "InvalidArgument", $"Sub-resource names are case-sensitive: ?{name} must be written ?{canonical}.");
            }
        }
        if (named is null)
        {
            return SubresourceMatch.None;
        }
        method = CanonicalMethod(method);
        foreach (var name in named)
        {
            if (_routes.TryGetValue((name, target, method), out var route) && named.All(n => n == name || route.Companions.Contains(n)))
            {
                return SubresourceMatch.To(route);
            }
        }
        var what = string.Join('&', named.Select(n => "?" + n));
        return SubresourceMatch.Refuse(501, "NotImplemented", $"{method} {what} on {(target == ResourceTarget.Bucket ? "a bucket" : "an object")} is not implemented by this gateway.");
    }

    private static string CanonicalMethod(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : method;
}

/// <summary>The table's verdict on a request: no sub-resource, a route, or an error to answer.</summary>
internal readonly record struct SubresourceMatch(SubresourceRoute? Route, int Status, string? Code, string? Message)
{
    public static readonly SubresourceMatch None;

    public bool IsNone => Route is null && Code is null;

    public static SubresourceMatch To(SubresourceRoute route) => new(route, 0, null, null);

    public static SubresourceMatch Refuse(int status, string code, string message) => new(null, status, code, message);
}
