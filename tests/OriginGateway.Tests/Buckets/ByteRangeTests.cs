using OriginGateway.Protocol;

namespace OriginGateway.Tests.Buckets;

public sealed class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-9", 100, "Single", 0, 10)]
    [InlineData("bytes=10-", 100, "Single", 10, 90)]
    [InlineData("bytes=-10", 100, "Single", 90, 10)]
    [InlineData("bytes=-1000", 100, "Single", 0, 100)]
    [InlineData("bytes=90-1000", 100, "Single", 90, 10)]
    [InlineData("bytes=100-", 100, "Unsatisfiable", 0, 0)]
    [InlineData("bytes=-0", 100, "Unsatisfiable", 0, 0)]
    [InlineData("bytes=0-0", 0, "Unsatisfiable", 0, 0)]
    [InlineData("bytes=0-1,5-6", 100, "Whole", 0, 100)]
    [InlineData("bytes=5-1", 100, "Whole", 0, 100)]
    [InlineData("items=0-1", 100, "Whole", 0, 100)]
    [InlineData("bytes=a-b", 100, "Whole", 0, 100)]
    public void Parse_ResolvesAgainstLength(string header, long length, string kind, long start, long count)
    {
        Assert.Equal(new ByteRange(Enum.Parse<RangeKind>(kind), start, count), ByteRange.Parse(header, length));
    }
}
