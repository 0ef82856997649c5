using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Cors;
using OriginGateway.FrontDoor;
using OriginGateway.Multipart;
using OriginGateway.Rules;

namespace OriginGateway.Tests.Buckets;

public sealed class SubresourceTableTests
{
    /// <summary>The names the issue and the COS/S3 APIs name at least.</summary>
    private static readonly string[] Required =
    [
        "acl", "tagging", "cors", "lifecycle", "policy", "website", "versioning", "versions", "versionId", "uploads", "uploadId",
        "partNumber", "restore", "select", "torrent", "retention", "legal-hold", "attributes", "append", "position", "symlink", "rename",
        "replication", "logging", "inventory", "encryption", "referer", "object-lock", "accelerate", "intelligenttiering", "notification",
        "requestPayment", "ownershipControls", "publicAccessBlock", "analytics", "metrics", "domain", "origin", "delete", "location",
    ];

    private static readonly string[] Methods = ["GET", "HEAD", "PUT", "POST", "DELETE"];

    /// <summary>What the gateway implements, written out independently of the providers.</summary>
    private static readonly HashSet<(string, ResourceTarget, string)> Implemented =
    [
        ("acl", ResourceTarget.Object, "GET"), ("acl", ResourceTarget.Object, "PUT"),
        ("tagging", ResourceTarget.Object, "GET"), ("tagging", ResourceTarget.Object, "PUT"), ("tagging", ResourceTarget.Object, "DELETE"),
        ("uploads", ResourceTarget.Object, "POST"), ("uploads", ResourceTarget.Bucket, "GET"),
        ("uploadId", ResourceTarget.Object, "PUT"), ("uploadId", ResourceTarget.Object, "GET"), ("uploadId", ResourceTarget.Object, "POST"), ("uploadId", ResourceTarget.Object, "DELETE"),
        ("origin", ResourceTarget.Bucket, "GET"), ("origin", ResourceTarget.Bucket, "PUT"), ("origin", ResourceTarget.Bucket, "DELETE"),
        ("cors", ResourceTarget.Bucket, "GET"), ("cors", ResourceTarget.Bucket, "PUT"), ("cors", ResourceTarget.Bucket, "DELETE"),
        ("policy", ResourceTarget.Bucket, "GET"), ("policy", ResourceTarget.Bucket, "PUT"), ("policy", ResourceTarget.Bucket, "DELETE"),
        ("origin-explain", ResourceTarget.Bucket, "GET"), ("delete", ResourceTarget.Bucket, "POST"), ("location", ResourceTarget.Bucket, "GET"),
        ("versions", ResourceTarget.Bucket, "GET"), ("versioning", ResourceTarget.Bucket, "GET"), ("acl", ResourceTarget.Bucket, "GET"),
        ("attributes", ResourceTarget.Object, "GET"),
    ];

    /// <summary>The table as the gateway builds it, from every feature's routes.</summary>
    internal static SubresourceTable Table() => new(
    [
        new BucketSubresources(),
        new ObjectAttributesEndpoint(),
        new OriginExplainEndpoint(null!),
        new OriginConfigurationEndpoint(null!),
        new CorsEndpoint(null!),
        new BucketPolicyEndpoint(null!),
        new MultipartHandler(null!, null!, TimeProvider.System, NullLogger<MultipartHandler>.Instance),
    ]);

    private static List<KeyValuePair<string, string>> Query(params string[] names) => names.Select(n => new KeyValuePair<string, string>(n, "")).ToList();

    [Fact]
    public void EveryRequiredName_IsInTheTable() => Assert.All(Required, name => Assert.True(SubresourceTable.Names.Contains(name), name));

    [Fact]
    public void EveryName_OnEveryTargetAndMethod_IsEitherItsHandlerOr501_NeverThePlainOperation()
    {
        var table = Table();
        foreach (var name in SubresourceTable.Names)
        {
            foreach (var target in new[] { ResourceTarget.Bucket, ResourceTarget.Object })
            {
                foreach (var method in Methods)
                {
                    var match = table.Match(Query(name), target, method);
                    Assert.False(match.IsNone, $"{method} ?{name} on {target} fell through");
                    if (Implemented.Contains((name, target, method)))
                    {
                        Assert.Equal(name, match.Route?.Name);
                        Assert.True(table.IsImplemented(name, target, method));
                    }
                    else
                    {
                        Assert.Null(match.Route);
                        Assert.Equal((501, "NotImplemented"), (match.Status, match.Code));
                    }
                }
            }
        }
        Assert.Equal(Implemented.Count, table.Routes.Count());
    }

    [Theory]
    [InlineData("x-id", "PutObject")]
    [InlineData("response-content-type", "text/plain")]
    [InlineData("prefix", "a/")]
    [InlineData("marker", "b")]
    [InlineData("max-keys", "2")]
    [InlineData("sign", "q-sign-algorithm=sha1")]
    [InlineData("anything", "")]
    public void ParametersThatAreNotSubresources_LeaveThePlainOperation(string name, string value)
    {
        foreach (var method in Methods)
        {
            Assert.True(Table().Match([new(name, value)], ResourceTarget.Object, method).IsNone);
        }
    }

    [Theory]
    [InlineData("ACL")]
    [InlineData("Tagging")]
    [InlineData("uploadid")]
    [InlineData("VERSIONID")]
    public void AMisCasedName_IsRefused(string name)
    {
        var match = Table().Match(Query(name), ResourceTarget.Object, "PUT");
        Assert.Equal((400, "InvalidArgument"), (match.Status, match.Code));
    }

    [Fact]
    public void Companions_AreTakenOnlyBesideTheirOperation()
    {
        var table = Table();
        Assert.Equal("uploadId", table.Match(Query("uploadId", "partNumber"), ResourceTarget.Object, "PUT").Route?.Name);
        Assert.Equal("uploadId", table.Match(Query("partNumber", "uploadId"), ResourceTarget.Object, "PUT").Route?.Name);
        Assert.Equal(501, table.Match(Query("partNumber"), ResourceTarget.Object, "PUT").Status);
        Assert.Equal(501, table.Match(Query("uploadId", "partNumber"), ResourceTarget.Object, "GET").Status);
        Assert.Equal(501, table.Match(Query("acl", "tagging"), ResourceTarget.Object, "PUT").Status);
        Assert.Equal(501, table.Match(Query("acl", "versionId"), ResourceTarget.Object, "GET").Status);
        Assert.Equal(501, table.Match(Query("append", "position"), ResourceTarget.Object, "POST").Status);
    }

    /// <summary>
    /// Any query of random sub-resource names (in any letter case) and random other parameters: a request
    /// reaches the plain GET/PUT/DELETE of the object only when it names no sub-resource at all, and a
    /// route only when every sub-resource it names belongs to that operation.
    /// </summary>
    [Fact]
    public void Property_NoQueryWithASubresource_ReachesThePlainOperation()
    {
        var table = Table();
        var names = SubresourceTable.Names.ToArray();
        var subresourceName = Gen.Elements(names).SelectMany(n => Gen.Choose(0, 2).Select(c => c switch { 0 => n, 1 => n.ToUpperInvariant(), _ => char.ToUpperInvariant(n[0]) + n[1..] }));
        var otherName = Gen.OneOf(
            Gen.Elements("x-id", "response-content-type", "prefix", "marker", "delimiter", "max-keys", "encoding-type", "q-sign-time", "key"),
            Gen.Choose(1, 12).SelectMany(length => Gen.ArrayOf(Gen.Elements("abcxyz-_.0123ACL".ToCharArray()), length)).Select(c => new string(c)));
        var parameter = Gen.OneOf(subresourceName, otherName).SelectMany(name => Gen.Elements("", "1", "x", "0123abcd").Select(value => new KeyValuePair<string, string>(name, value)));
        var request = Gen.Choose(0, 5).SelectMany(count => Gen.ListOf(parameter, count))
            .SelectMany(query => Gen.Elements(Methods).SelectMany(method => Gen.Elements(ResourceTarget.Bucket, ResourceTarget.Object)
                .Select(target => (Query: query.ToList(), Method: method, Target: target))));

        Prop.ForAll(request.ToArbitrary(), input =>
        {
            var (query, method, target) = (input.Query, input.Method, input.Target);
            var match = table.Match(query, target, method);
            var named = query.Where(p => SubresourceTable.Names.Contains(p.Key, StringComparer.OrdinalIgnoreCase)).Select(p => p.Key).ToList();
            if (match.IsNone)
            {
                return named.Count == 0;
            }
            if (match.Route is { } route)
            {
                return route.Method == method && route.Target == target && named.Contains(route.Name)
                    && named.All(n => n == route.Name || route.Companions.Contains(n));
            }
            return named.Count > 0 && match.Status is 400 or 501;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }
}
