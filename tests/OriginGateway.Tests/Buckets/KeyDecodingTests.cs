using OriginGateway.Protocol;

namespace OriginGateway.Tests.Buckets;

public sealed class KeyDecodingTests
{
    [Theory]
    [InlineData("a", "a")]
    [InlineData("a%2Fb", "a/b")]
    [InlineData("a//b", "a//b")]
    [InlineData("a/../b", "a/../b")]
    [InlineData("%2e%2e/x", "../x")]
    [InlineData("dir/", "dir/")]
    [InlineData("a+b", "a+b")]
    [InlineData("%E8%85%BE%E8%AE%AF%E4%BA%91", "腾讯云")]
    [InlineData("%F0%9F%98%80", "😀")]
    [InlineData("a%25b", "a%b")]
    public void TryDecodePath_DecodesExactlyOnce(string raw, string expected)
    {
        Assert.Equal(KeyStatus.Valid, KeyDecoding.TryDecodePath(raw, out var key));
        Assert.Equal(expected, key);
    }

    [Theory]
    [InlineData("%C0%AF")]      // overlong '/'
    [InlineData("%E0%80%AF")]   // overlong, three bytes
    [InlineData("%ED%A0%80")]   // UTF-16 surrogate encoded in UTF-8
    [InlineData("%FF")]
    [InlineData("%E8%85")]      // truncated sequence
    [InlineData("%zz")]
    [InlineData("abc%2")]
    public void TryDecodePath_InvalidEncoding_IsInvalid(string raw)
    {
        Assert.Equal(KeyStatus.Invalid, KeyDecoding.TryDecodePath(raw, out _));
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\u007fb")]
    [InlineData("a\u0085b")]
    public void Check_ControlCharacters_AreInvalid(string key)
    {
        Assert.Equal(KeyStatus.Invalid, KeyDecoding.Check(key));
    }

    [Fact]
    public void Check_850BytesIsValid_851IsTooLong()
    {
        Assert.Equal(KeyStatus.Valid, KeyDecoding.Check(new string('k', 850)));
        Assert.Equal(KeyStatus.TooLong, KeyDecoding.Check(new string('k', 851)));
        // 283 three-byte characters = 849 bytes; one more ASCII byte = 850; two = 851.
        Assert.Equal(KeyStatus.Valid, KeyDecoding.Check(new string('腾', 283) + "a"));
        Assert.Equal(KeyStatus.TooLong, KeyDecoding.Check(new string('腾', 283) + "ab"));
    }

    [Theory]
    [InlineData("a+b", "a b")]
    [InlineData("a%2Bb", "a+b")]
    public void TryDecodeQueryPart_PlusIsSpace(string raw, string expected)
    {
        Assert.Equal(KeyStatus.Valid, KeyDecoding.TryDecodeQueryPart(raw, out var value));
        Assert.Equal(expected, value);
    }
}
