using System.Text;
using OriginGateway.Security;

namespace OriginGateway.Tests.Security;

/// <summary>The policy of a browser form upload: its conditions against the form's fields, its expiry, its size range.</summary>
public sealed class PostPolicyTests
{
    /// <summary>AWS's published example (S3 API reference, "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)").</summary>
    internal const string AwsExamplePolicy =
        "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";

    /// <summary>The example's form, field names in lower case as the handler keeps them.</summary>
    internal static Dictionary<string, string> AwsExampleFields() => new()
    {
        ["key"] = "user/user1/${filename}",
        ["acl"] = "public-read",
        ["success_action_redirect"] = "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
        ["content-type"] = "image/jpeg",
        ["x-amz-meta-uuid"] = "14365123651274",
        ["x-amz-server-side-encryption"] = "AES256",
        ["x-amz-credential"] = "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        ["x-amz-algorithm"] = "AWS4-HMAC-SHA256",
        ["x-amz-date"] = "20151229T000000Z",
        ["x-amz-meta-tag"] = "",
        ["policy"] = AwsExamplePolicy,
        ["x-amz-signature"] = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e",
    };

    private static readonly DateTimeOffset ExampleDay = new(2015, 12, 29, 10, 0, 0, TimeSpan.Zero);

    private static PostPolicy Parse(string json) => PostPolicy.Parse(Convert.ToBase64String(Encoding.UTF8.GetBytes(json)), out var error) ?? throw new InvalidOperationException(error);

    [Fact]
    public void AwsExample_ItsFormMeetsItsPolicy_BeforeItExpires()
    {
        var policy = PostPolicy.Parse(AwsExamplePolicy, out var error);

        Assert.NotNull(policy);
        Assert.Null(error);
        Assert.Null(policy.Check(AwsExampleFields(), "sigv4examplebucket", ExampleDay));
        Assert.Equal("Invalid according to Policy: Policy expired.", policy.Check(AwsExampleFields(), "sigv4examplebucket", new DateTimeOffset(2015, 12, 30, 12, 0, 1, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("key", "user/user2/x.jpg", "[\"starts-with\", \"$key\", \"user/user1/\"]")]
    [InlineData("content-type", "text/html", "[\"starts-with\", \"$content-type\", \"image/\"]")]
    [InlineData("x-amz-meta-uuid", "1", "[\"eq\", \"$x-amz-meta-uuid\", \"14365123651274\"]")]
    [InlineData("acl", "private", "[\"eq\", \"$acl\", \"public-read\"]")]
    public void AFieldThatFailsItsCondition_IsNamed(string field, string value, string condition)
    {
        var fields = AwsExampleFields();
        fields[field] = value;

        Assert.Equal("Invalid according to Policy: Policy Condition failed: " + condition,
            PostPolicy.Parse(AwsExamplePolicy, out _)!.Check(fields, "sigv4examplebucket", ExampleDay));
    }

    [Fact]
    public void AnotherBucket_OrAMissingField_FailsItsCondition()
    {
        var policy = PostPolicy.Parse(AwsExamplePolicy, out _)!;
        var fields = AwsExampleFields();

        Assert.Contains("$bucket", policy.Check(fields, "otherbucket", ExampleDay));
        fields.Remove("x-amz-meta-uuid");
        Assert.Contains("$x-amz-meta-uuid", policy.Check(fields, "sigv4examplebucket", ExampleDay));
    }

    [Fact]
    public void FieldsNoConditionNames_AreRefused_ButTheSignaturesOwnFileAndIgnoredOnesAreNot()
    {
        var policy = Parse("""{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"key": "a.txt"}]}""");
        var fields = new Dictionary<string, string> { ["key"] = "a.txt", ["policy"] = "p", ["x-amz-signature"] = "s", ["x-ignore-me"] = "1", ["awsaccesskeyid"] = "id", ["signature"] = "s" };

        Assert.Null(policy.Check(fields, "b", ExampleDay));
        fields["x-amz-meta-extra"] = "1";
        fields["content-type"] = "text/plain";
        Assert.Equal("Invalid according to Policy: Extra input fields: content-type, x-amz-meta-extra", policy.Check(fields, "b", ExampleDay));
    }

    [Fact]
    public void ConditionsAreMatchedByFieldNameInAnyCase_AndStartsWithEmptyMatchesAnything()
    {
        var policy = Parse("""{"expiration": "2030-01-01T00:00:00Z", "conditions": [["EQ", "$Key", "a.txt"], ["Starts-With", "$Content-Type", ""], {"X-Amz-Meta-Color": "blue"}]}""");

        Assert.Null(policy.Check(new Dictionary<string, string> { ["key"] = "a.txt", ["content-type"] = "anything/at-all", ["x-amz-meta-color"] = "blue" }, "b", ExampleDay));
        Assert.NotNull(policy.Check(new Dictionary<string, string> { ["key"] = "A.txt", ["content-type"] = "x", ["x-amz-meta-color"] = "blue" }, "b", ExampleDay));
    }

    [Fact]
    public void ContentLengthRange_IsRead_AsNumbersOrStrings()
    {
        Assert.Equal((10L, 20L), (Parse("""{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 10, 20]]}""") is var p ? (p.MinLength, p.MaxLength) : default));
        Assert.Equal((1L, 5L), (Parse("""{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "1", "5"]]}""") is var q ? (q.MinLength, q.MaxLength) : default));
        Assert.Equal((0L, long.MaxValue), (Parse("""{"expiration": "2030-01-01T00:00:00Z", "conditions": []}""") is var r ? (r.MinLength, r.MaxLength) : default));
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("bm90IGpzb24=")]
    [InlineData("e30=")]
    [InlineData("eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIn0=")]
    public void APolicyThatIsNotOne_IsRefusedWithAReason(string encoded)
    {
        Assert.Null(PostPolicy.Parse(encoded, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("""[["content-length-range", 20, 10]]""")]
    [InlineData("""[["content-length-range", -1, 10]]""")]
    [InlineData("""[["in", "$key", "a"]]""")]
    [InlineData("""[["eq", "key", "a"]]""")]
    [InlineData("""[["eq", "$key"]]""")]
    [InlineData("""[{"key": 5}]""")]
    public void AConditionThatIsNotOne_IsRefused(string conditions)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""{"expiration": "2030-01-01T00:00:00Z", "conditions": {{conditions}}}"""));

        Assert.Null(PostPolicy.Parse(encoded, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
