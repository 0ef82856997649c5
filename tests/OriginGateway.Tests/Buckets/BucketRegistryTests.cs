using OriginGateway.Buckets;

namespace OriginGateway.Tests.Buckets;

public sealed class BucketRegistryTests
{
    [Theory]
    [InlineData("service.cos.myqcloud.com", "service.cos.myqcloud.com", true)]
    [InlineData("service.cos.myqcloud.com", "SERVICE.cos.myqcloud.com", true)]
    [InlineData("cos.*.myqcloud.com", "cos.ap-guangzhou.myqcloud.com", true)]
    [InlineData("cos.*.myqcloud.com", "cos..myqcloud.com", false)]
    [InlineData("cos.*.myqcloud.com", "cos.a.b.myqcloud.com", false)]
    [InlineData("cos.*.myqcloud.com", "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com", false)]
    [InlineData("cos.*.myqcloud.com", "cos.ap-guangzhou.myqcloud.com.evil", false)]
    [InlineData("*.example.com", "s3.example.com", true)]
    public void HostMatches_OneLabelPerStar(string pattern, string host, bool matches) =>
        Assert.Equal(matches, BucketRegistry.HostMatches(pattern, host));

    [Theory]
    [InlineData("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com", "examplebucket-1250000000")]
    [InlineData("Nosuch-1250000000.cos.ap-beijing.myqcloud.com.", "Nosuch-1250000000")]
    [InlineData("b-1.cos.ap-guangzhou.tencentcos.cn", "b-1")]
    [InlineData("b-1.cos-website.ap-guangzhou.myqcloud.com", "b-1")]
    [InlineData("service.cos.myqcloud.com", "")]
    [InlineData("cos.ap-guangzhou.myqcloud.com", "")]
    [InlineData("b-1.cdn.example.com", "")]
    [InlineData("127.0.0.1", "")]
    [InlineData("localhost", "")]
    public void CosBucketLabel_IsTheFirstLabelOfACosBucketHost(string host, string label) =>
        Assert.Equal(label, BucketRegistry.CosBucketLabel(host).ToString());

    [Fact]
    public void Resolve_ACosHostOfAnUnknownBucket_IsNoBucket_WhileIpAndLocalhostKeepTheDefault()
    {
        var store = new OriginGateway.Storage.FileSystemObjectStore(Path.Combine(Path.GetTempPath(), "og-reg-" + Guid.NewGuid().ToString("N")), false, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Bucket Make(string name) => new(name, "ap-guangzhou", true, false, store, store, "", DateTimeOffset.UnixEpoch);
        var registry = new BucketRegistry([(Make("examplebucket-1250000000"), []), (Make("other-1250000000"), ["cdn.example.com"])], "examplebucket-1250000000");

        Assert.Null(registry.Resolve("nosuch-1250000000.cos.ap-guangzhou.myqcloud.com", "/a.txt", out _, out _, out var unknown));
        Assert.True(unknown);
        Assert.Equal("other-1250000000", registry.Resolve("other-1250000000.cos.ap-guangzhou.myqcloud.com", "/a.txt", out _, out _, out unknown)!.Name);
        Assert.False(unknown);
        // The bucket is in ap-guangzhou: the same name in another region is another bucket.
        Assert.Null(registry.Resolve("other-1250000000.cos.ap-beijing.myqcloud.com", "/a.txt", out _, out _, out unknown));
        Assert.True(unknown);
        Assert.Equal("other-1250000000", registry.Resolve("cdn.example.com", "/a.txt", out _, out _, out _)!.Name);
        Assert.Equal("examplebucket-1250000000", registry.Resolve("127.0.0.1", "/a.txt", out _, out _, out _)!.Name);
        Assert.Equal("examplebucket-1250000000", registry.Resolve("localhost", "/a.txt", out _, out _, out _)!.Name);
        Assert.Equal("other-1250000000", registry.Resolve("localhost", "/other-1250000000/a.txt", out var keyStart, out var pathStyle, out _)!.Name);
        Assert.True(pathStyle);
        Assert.Equal("/other-1250000000/".Length, keyStart);
    }

    [Fact]
    public void Resolve_UnderAnS3Domain_NamesTheBucket_AnUnknownNameIsNoBucket_AndTheDomainIsTheServiceHost()
    {
        var store = new OriginGateway.Storage.FileSystemObjectStore(Path.Combine(Path.GetTempPath(), "og-reg-" + Guid.NewGuid().ToString("N")), false, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Bucket Make(string name) => new(name, "ap-guangzhou", true, false, store, store, "", DateTimeOffset.UnixEpoch);
        var registry = new BucketRegistry([(Make("examplebucket-1250000000"), []), (Make("dotted.bucket"), [])], "examplebucket-1250000000", [], ["s3.example.test"]);

        Assert.Equal("dotted.bucket", registry.Resolve("dotted.bucket.s3.example.test", "/a.txt", out var keyStart, out var pathStyle, out _)?.Name);
        Assert.Equal((1, false), (keyStart, pathStyle));
        Assert.Equal("examplebucket-1250000000", registry.Resolve("examplebucket-1250000000.S3.Example.TEST", "/a.txt", out _, out _, out _)?.Name);
        Assert.Null(registry.Resolve("nosuch.s3.example.test", "/a.txt", out _, out _, out var unknown));
        Assert.True(unknown);
        Assert.True(registry.NamesABucket("dotted.bucket.s3.example.test"));
        Assert.False(registry.NamesABucket("s3.example.test"));
        Assert.True(registry.IsServiceHost("s3.example.test"));
        Assert.Equal("dotted.bucket", registry.Resolve("s3.example.test", "/dotted.bucket/a.txt", out _, out pathStyle, out _)?.Name);
        Assert.True(pathStyle);
        // A name that merely ends like the domain is not under it.
        Assert.Equal("examplebucket-1250000000", registry.Resolve("evils3.example.test", "/a.txt", out _, out _, out unknown)?.Name);
        Assert.False(unknown);
    }
}
