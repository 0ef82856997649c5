using System.Text;
using OriginGateway.Buckets;
using OriginGateway.Security;

namespace OriginGateway.Tests.Security;

public class BucketPolicyTests
{
    private const string Bucket = "examplebucket-1250000000";
    private const string AppId = "1250000000";

    private static BucketPolicy Parse(string json)
    {
        var policy = BucketPolicy.Parse(Encoding.UTF8.GetBytes(json), out var error);
        Assert.True(policy is not null, error);
        return policy!;
    }

    private static string Policy(params string[] statements) => $$"""{"version":"2.0","Statement":[{{string.Join(",", statements)}}]}""";

    private static string Statement(string effect, string resource, string action = "name/cos:PutObject", string principal = """{"service":"cos.qcloud.com"}""", string extra = "") =>
        $$"""{"Principal":{{principal}},"Effect":"{{effect}}","Action":["{{action}}"],"Resource":["{{resource}}"]{{extra}}}""";

    /// <summary>The seed's own example, for the Guangzhou bucket.</summary>
    [Fact]
    public void SeedPolicy_AllowsTheServiceToWriteAnyKey()
    {
        var policy = Parse($$"""
            {"Statement":[{"Principal":{"service":"cos.qcloud.com"},"Effect":"Allow",
              "Action":["name/cos:PutObject","name/cos:InitiateMultipartUpload","name/cos:UploadPart","name/cos:CompleteMultipartUpload"],
              "Resource":["qcs::cos:ap-guangzhou:uid/{{AppId}}:{{Bucket}}/*"]}],"version":"2.0"}
            """);
        Assert.True(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "ap-guangzhou", "a/b.mp4"));
        Assert.True(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "", "a/b.mp4"));
        Assert.False(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "ap-beijing", "a/b.mp4"));
        Assert.False(policy.AllowsService("name/cos:PutObject", Bucket, "1250000001", "ap-guangzhou", "a/b.mp4"));
        Assert.False(policy.AllowsService("name/cos:PutObject", "other-1250000000", AppId, "ap-guangzhou", "a/b.mp4"));
        Assert.False(policy.AllowsService("name/cos:DeleteObject", Bucket, AppId, "ap-guangzhou", "a/b.mp4"));
    }

    [Fact]
    public void PrefixResource_AllowsOnlyUnderThePrefix()
    {
        var policy = Parse(Policy(Statement("allow", $"qcs::cos:*:uid/{AppId}:{Bucket}/prefix/*")));
        Assert.True(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "ap-shanghai", "prefix/x"));
        Assert.False(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "ap-shanghai", "other/x"));
        Assert.False(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "ap-shanghai", "prefix"));
    }

    [Fact]
    public void ExplicitDeny_Wins()
    {
        var policy = Parse(Policy(
            Statement("allow", $"qcs::cos:*:uid/{AppId}:{Bucket}/*"),
            Statement("deny", $"qcs::cos:*:uid/{AppId}:{Bucket}/private/*", "name/cos:*")));
        Assert.True(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "", "public/a"));
        Assert.False(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "", "private/a"));
    }

    [Fact]
    public void WithoutAnAllowForTheService_Denied()
    {
        var policy = Parse(Policy(Statement("allow", $"qcs::cos:*:uid/{AppId}:{Bucket}/*", principal: """{"qcs":["qcs::cam::uin/100000000001:uin/100000000001"]}""")));
        Assert.False(policy.AllowsService("name/cos:PutObject", Bucket, AppId, "", "a"));
    }

    [Fact]
    public void ConditionalAllow_NeverAllows_ConditionalDeny_AlwaysDenies()
    {
        const string condition = ""","Condition":{"ip_equal":{"qcs:ip":["10.0.0.0/8"]}}""";
        var allow = Parse(Policy(Statement("allow", $"qcs::cos:*:uid/{AppId}:{Bucket}/*", extra: condition)));
        Assert.False(allow.AllowsService("name/cos:PutObject", Bucket, AppId, "", "a"));
        var deny = Parse(Policy(Statement("allow", $"qcs::cos:*:uid/{AppId}:{Bucket}/*"), Statement("deny", $"qcs::cos:*:uid/{AppId}:{Bucket}/*", extra: condition)));
        Assert.False(deny.AllowsService("name/cos:PutObject", Bucket, AppId, "", "a"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"version":"2.0"}""")]
    [InlineData("""{"version":"2.0","Statement":[]}""")]
    [InlineData("""{"version":"1.0","Statement":[{"Principal":{"service":"cos.qcloud.com"},"Effect":"Allow","Action":["*"],"Resource":["*"]}]}""")]
    [InlineData("""{"Statement":[{"Principal":{"service":"cos.qcloud.com"},"Effect":"Maybe","Action":["*"],"Resource":["*"]}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}""")]
    [InlineData("""{"Statement":[{"Principal":{"service":"cos.qcloud.com"},"Effect":"Allow","Action":[],"Resource":["*"]}]}""")]
    [InlineData("""{"Statement":[{"Principal":{"service":"cos.qcloud.com"},"Effect":"Allow","Action":["*"],"Resource":["arn:aws:s3:::b/*"]}]}""")]
    public void Malformed_IsRefusedWithAReason(string json)
    {
        Assert.Null(BucketPolicy.Parse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("a*c", "abc", true)]
    [InlineData("a*c", "ac", true)]
    [InlineData("a*c", "abd", false)]
    [InlineData("*", "", true)]
    [InlineData("b/p/*", "b/p/", true)]
    [InlineData("b/p/*", "b/q/x", false)]
    [InlineData("*x*y", "axbxcy", true)]
    public void Wildcards(string pattern, string value, bool matches)
    {
        Assert.Equal(matches, BucketPolicy.Wildcard.Matches(pattern, value));
    }

    /// <summary>The older form the COS SDK's own tests send: one top-level lower-case principal and statement list.</summary>
    [Fact]
    public void TheOlderForm_IsAccepted_AndKeptInTheCurrentForm()
    {
        var older = """
            {"version":"2.0","principal":{"qcs":["qcs::cam::anyone:anyone"]},"statement":[{"effect":"deny","action":["name/cos:GetObject"],
             "resource":["qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/secret/*"]}]}
            """;
        var policy = Parse(older);
        Assert.True(policy.DeniesAnyone("name/cos:GetObject", Bucket, AppId, "ap-guangzhou", "secret/a"));
        Assert.False(policy.DeniesAnyone("name/cos:GetObject", Bucket, AppId, "ap-guangzhou", "open/a"));
        Assert.False(policy.DeniesAnyone("name/cos:PutObject", Bucket, AppId, "ap-guangzhou", "secret/a"));

        using var normalized = System.Text.Json.JsonDocument.Parse(BucketPolicy.Normalize(Encoding.UTF8.GetBytes(older)));
        var statement = normalized.RootElement.GetProperty("Statement")[0];
        Assert.Equal("qcs::cam::anyone:anyone", statement.GetProperty("Principal").GetProperty("qcs")[0].GetString());
        Assert.Equal("deny", statement.GetProperty("effect").GetString());
        Assert.False(normalized.RootElement.TryGetProperty("principal", out _));
        Assert.NotNull(BucketPolicy.Parse(BucketPolicy.Normalize(Encoding.UTF8.GetBytes(older)), out _));

        var current = Encoding.UTF8.GetBytes(Policy(Statement("allow", "*")));
        Assert.Same(current, BucketPolicy.Normalize(current));
    }

    [Theory]
    [InlineData("\"*\"")]
    [InlineData("{\"qcs\":[\"qcs::cam::anyone:anyone\"]}")]
    [InlineData("{\"qcs\":\"*\"}")]
    public void ADenyForEveryone_DeniesAnonymousReads_AnAllowDoesNot(string principal)
    {
        Assert.True(Parse(Policy(Statement("deny", $"qcs::cos:*:uid/{AppId}:{Bucket}/*", "name/cos:GetObject", principal))).DeniesAnyone("name/cos:GetObject", Bucket, AppId, "ap-guangzhou", "k"));
        Assert.False(Parse(Policy(Statement("allow", $"qcs::cos:*:uid/{AppId}:{Bucket}/*", "name/cos:GetObject", principal))).DeniesAnyone("name/cos:GetObject", Bucket, AppId, "ap-guangzhou", "k"));
        Assert.False(Parse(Policy(Statement("deny", $"qcs::cos:*:uid/{AppId}:{Bucket}/*", "name/cos:GetObject"))).DeniesAnyone("name/cos:GetObject", Bucket, AppId, "ap-guangzhou", "k"));
    }
}
