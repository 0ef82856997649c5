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
}
