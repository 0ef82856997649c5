using Microsoft.AspNetCore.Http;
using OriginGateway.FrontDoor;

namespace OriginGateway.Tests.FrontDoor;

/// <summary>Server-side encryption and Object Lock are refused, never pretended: a write that asks for either, a read or copy that brings a key.</summary>
public sealed class UnkeptPromisesTests
{
    private static (int Status, string Code, string Message)? Refusal(string method, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }
        return UnkeptPromises.Refusal(context.Request);
    }

    [Theory]
    [InlineData("PUT", "x-amz-server-side-encryption", "AES256")]
    [InlineData("PUT", "x-amz-server-side-encryption", "aws:kms")]
    [InlineData("PUT", "X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256")]
    [InlineData("PUT", "x-cos-server-side-encryption", "AES256")]
    [InlineData("PUT", "x-cos-server-side-encryption-customer-algorithm", "AES256")]
    [InlineData("POST", "x-amz-server-side-encryption", "AES256")]
    [InlineData("PUT", "x-amz-object-lock-mode", "COMPLIANCE")]
    [InlineData("PUT", "x-amz-object-lock-legal-hold", "ON")]
    [InlineData("POST", "X-Amz-Object-Lock-Retain-Until-Date", "2030-01-01T00:00:00Z")]
    public void AWriteThatAsksForEncryptionOrALock_IsNotImplemented(string method, string header, string value)
    {
        var refusal = Refusal(method, (header, value), ("Content-Type", "text/plain"));

        Assert.NotNull(refusal);
        Assert.Equal((501, "NotImplemented"), (refusal.Value.Status, refusal.Value.Code));
        Assert.Contains(header.ToLowerInvariant(), refusal.Value.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "x-amz-server-side-encryption-customer-algorithm", "AES256")]
    [InlineData("GET", "x-amz-server-side-encryption", "AES256")]
    [InlineData("HEAD", "X-Cos-Server-Side-Encryption-Customer-Algorithm", "AES256")]
    [InlineData("PUT", "x-amz-copy-source-server-side-encryption-customer-algorithm", "AES256")]
    [InlineData("PUT", "x-cos-copy-source-server-side-encryption-customer-algorithm", "AES256")]
    public void AReadOrACopyThatBringsAKey_IsToldTheObjectHasNone(string method, string header, string value)
    {
        var refusal = Refusal(method, (header, value));

        Assert.NotNull(refusal);
        Assert.Equal((400, "InvalidRequest"), (refusal.Value.Status, refusal.Value.Code));
    }

    [Theory]
    [InlineData("PUT", "x-amz-storage-class", "STANDARD")]
    [InlineData("GET", "x-amz-checksum-mode", "ENABLED")]
    [InlineData("DELETE", "x-amz-server-side-encryption", "AES256")]
    [InlineData("GET", "x-amz-object-lock-mode", "COMPLIANCE")]
    public void OtherRequests_AreLeftAlone(string method, string header, string value) => Assert.Null(Refusal(method, (header, value)));
}
