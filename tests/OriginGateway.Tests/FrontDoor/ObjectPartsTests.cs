using OriginGateway.FrontDoor;
using OriginGateway.Storage;

namespace OriginGateway.Tests.FrontDoor;

/// <summary>The part layout a multipart completion records, and where a part GET finds its bytes.</summary>
public sealed class ObjectPartsTests
{
    private const long MiB = 1024 * 1024;

    private static ObjectEntry Entry(long length, string? layout) => new("k", "k", 1, length, new string('0', 32), DateTimeOffset.UnixEpoch, "application/octet-stream", [],
        layout is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [ObjectParts.Metadata] = layout });

    [Fact]
    public void EqualPartsAndAShorterLast_AreOneRunAndOnePart()
    {
        var layout = ObjectParts.Encode([5 * MiB, 5 * MiB, 5 * MiB, 5 * MiB, 3 * MiB]);

        Assert.Equal("5242880*4,3145728", layout);
        var entry = Entry(23 * MiB, layout);
        Assert.Equal((0L, 5 * MiB, 5), ObjectParts.Locate(entry, 1));
        Assert.Equal((15 * MiB, 5 * MiB, 5), ObjectParts.Locate(entry, 4));
        Assert.Equal((20 * MiB, 3 * MiB, 5), ObjectParts.Locate(entry, 5));
        Assert.Null(ObjectParts.Locate(entry, 6));
    }

    [Fact]
    public void IrregularParts_AreRecordedWhileShort_AndOtherwiseNot()
    {
        Assert.Equal("7,9*2,7", ObjectParts.Encode([7, 9, 9, 7]));
        var entry = Entry(32, "7,9*2,7");
        Assert.Equal((16L, 9L, 4), ObjectParts.Locate(entry, 3));
        Assert.Equal((25L, 7L, 4), ObjectParts.Locate(entry, 4));

        // An empty last part is a part too.
        Assert.Equal((MiB, 0L, 2), ObjectParts.Locate(Entry(MiB, ObjectParts.Encode([MiB, 0])), 2));

        // A thousand parts of differing lengths would not fit beside the object (the S3 store's 2 KiB of metadata).
        Assert.Null(ObjectParts.Encode([.. Enumerable.Range(0, 1000).Select(i => 5 * MiB + i)]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("5242880*2")]
    [InlineData("garbage")]
    [InlineData("5242880*0,1")]
    public void AnObjectWithoutAUsableLayout_IsOnePart_TheWholeObject(string? layout)
    {
        var entry = Entry(3 * MiB, layout);

        Assert.Equal((0L, 3 * MiB, 1), ObjectParts.Locate(entry, 1));
        Assert.Null(ObjectParts.Locate(entry, 2));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("10000", true)]
    [InlineData("0", false)]
    [InlineData("10001", false)]
    [InlineData("-1", false)]
    [InlineData("1.5", false)]
    [InlineData("", false)]
    [InlineData(" 2", false)]
    public void PartNumbers_RunFrom1To10000(string text, bool valid) => Assert.Equal(valid, ObjectParts.TryParseNumber(text, out _));
}
