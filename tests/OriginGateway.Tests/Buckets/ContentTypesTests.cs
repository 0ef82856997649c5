using OriginGateway.Protocol;

namespace OriginGateway.Tests.Buckets;

public sealed class ContentTypesTests
{
    [Theory]
    [InlineData("1.zip", "application/zip")]
    [InlineData("dir/1.txt", "text/plain")]
    [InlineData("a.JSON", "application/json")]
    [InlineData("video/seg-001.ts", "video/mp2t")]
    [InlineData("live/index.m3u8", "application/vnd.apple.mpegurl")]
    [InlineData("1", "application/octet-stream")]
    [InlineData(".zip", "application/octet-stream")]
    [InlineData("dir.zip/file", "application/octet-stream")]
    [InlineData("a.unknownsuffix", "application/octet-stream")]
    public void ForKey_FollowsTheSuffix(string key, string type) => Assert.Equal(type, ContentTypes.ForKey(key));

    [Fact]
    public void For_KeepsARequestedType() => Assert.Equal("text/xml", ContentTypes.For("text/xml", "1.zip"));
}
