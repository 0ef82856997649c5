using Microsoft.AspNetCore.Http;
using OriginGateway.FrontDoor;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Buckets;

public sealed class PreconditionsTests
{
    private static readonly DateTimeOffset Modified = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly ObjectEntry Entry = new("k", "/x", 1, 10, "0123456789abcdef0123456789abcdef", Modified, "text/plain", [], new Dictionary<string, string>());
    private const string ETag = "\"0123456789abcdef0123456789abcdef\"";

    [Theory]
    [InlineData("If-None-Match", ETag, "NotModified")]
    [InlineData("If-None-Match", "W/" + ETag, "NotModified")]
    [InlineData("If-None-Match", "*", "NotModified")]
    [InlineData("If-None-Match", "\"other\"", "Proceed")]
    [InlineData("If-Match", ETag, "Proceed")]
    [InlineData("If-Match", "\"other\", " + ETag, "Proceed")]
    [InlineData("If-Match", "\"other\"", "Failed")]
    [InlineData("If-Match", "W/" + ETag, "Failed")]
    [InlineData("If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT", "NotModified")]
    [InlineData("If-Modified-Since", "Fri, 02 Jan 2026 03:04:04 GMT", "Proceed")]
    [InlineData("If-Unmodified-Since", "Fri, 02 Jan 2026 03:04:05 GMT", "Proceed")]
    [InlineData("If-Unmodified-Since", "Fri, 02 Jan 2026 03:04:04 GMT", "Failed")]
    public void Evaluate_SingleHeader(string name, string value, string expected)
    {
        var headers = new HeaderDictionary { [name] = value };

        Assert.Equal(Enum.Parse<PreconditionOutcome>(expected), Preconditions.Evaluate(headers, Entry, isGetOrHead: true));
    }

    [Fact]
    public void Evaluate_IfNoneMatchWins_OverIfModifiedSince()
    {
        var headers = new HeaderDictionary { ["If-None-Match"] = "\"other\"", ["If-Modified-Since"] = "Fri, 02 Jan 2026 03:04:05 GMT" };

        Assert.Equal(PreconditionOutcome.Proceed, Preconditions.Evaluate(headers, Entry, isGetOrHead: true));
    }

    [Fact]
    public void Evaluate_IfMatchFailure_WinsOverIfNoneMatch()
    {
        var headers = new HeaderDictionary { ["If-Match"] = "\"other\"", ["If-None-Match"] = ETag };

        Assert.Equal(PreconditionOutcome.Failed, Preconditions.Evaluate(headers, Entry, isGetOrHead: true));
    }

    [Theory]
    [InlineData(ETag, true)]
    [InlineData("\"other\"", false)]
    [InlineData("Fri, 02 Jan 2026 03:04:05 GMT", true)]
    [InlineData("Fri, 02 Jan 2026 03:04:06 GMT", false)]
    public void RangeApplies_FollowsIfRange(string ifRange, bool applies)
    {
        Assert.Equal(applies, Preconditions.RangeApplies(new HeaderDictionary { ["If-Range"] = ifRange }, Entry));
    }
}
