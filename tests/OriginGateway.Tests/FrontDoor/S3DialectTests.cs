using Microsoft.AspNetCore.Http;
using OriginGateway.FrontDoor;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.Tests.FrontDoor;

/// <summary>One set of object headers for both dialects: S3's x-amz-* read as their x-cos-* twins.</summary>
public sealed class S3DialectTests
{
    [Fact]
    public void AmzObjectHeaders_AreReadAsTheirCosTwins()
    {
        var headers = new HeaderDictionary
        {
            ["x-amz-meta-color"] = "blue",
            ["X-Amz-Meta-Mtime"] = "1700000000.5",
            ["x-amz-tagging"] = "k=v",
            ["x-amz-metadata-directive"] = "REPLACE",
            ["x-amz-tagging-directive"] = "COPY",
            ["x-amz-copy-source"] = "bucket/a%20b.txt",
            ["x-amz-copy-source-range"] = "bytes=0-9",
            ["x-amz-copy-source-if-match"] = "\"etag\"",
            ["x-amz-grant-read"] = "id=\"someone\"",
            ["x-amz-storage-class"] = "STANDARD_IA",
            ["x-amz-date"] = "20260101T000000Z",
        };

        Assert.Null(S3Dialect.ReadRequest(headers));

        Assert.Equal("blue", headers["x-cos-meta-color"]);
        Assert.Equal("1700000000.5", headers["x-cos-meta-mtime"]);
        Assert.Equal("k=v", headers["x-cos-tagging"]);
        Assert.Equal("REPLACE", headers["x-cos-metadata-directive"]);
        Assert.Equal("COPY", headers["x-cos-tagging-directive"]);
        Assert.Equal("bucket/a%20b.txt", headers["x-cos-copy-source"]);
        Assert.Equal("bytes=0-9", headers["x-cos-copy-source-range"]);
        Assert.Equal("\"etag\"", headers["x-cos-copy-source-if-match"]);
        Assert.Equal("id=\"someone\"", headers["x-cos-grant-read"]);
        // Headers of the signature and the storage class have no twin: nothing is made of them.
        Assert.False(headers.ContainsKey("x-cos-date"));
        Assert.False(headers.ContainsKey("x-cos-storage-class"));
        Assert.False(headers.ContainsKey("x-cos-acl"));
    }

    [Fact]
    public void ACosHeaderSentToo_Wins()
    {
        var headers = new HeaderDictionary { ["x-amz-meta-color"] = "blue", ["x-cos-meta-color"] = "red", ["x-amz-acl"] = "public-read", ["x-cos-acl"] = "private" };

        Assert.Null(S3Dialect.ReadRequest(headers));

        Assert.Equal("red", headers["x-cos-meta-color"]);
        Assert.Equal("private", headers["x-cos-acl"]);
    }

    [Theory]
    [InlineData("private", "default")]
    [InlineData("bucket-owner-full-control", "default")]
    [InlineData("Bucket-Owner-Read", "default")]
    [InlineData("public-read", "public-read")]
    public void CannedAcls_MapToTheObjectAclCosHas(string amz, string cos)
    {
        var headers = new HeaderDictionary { ["x-amz-acl"] = amz };

        Assert.Null(S3Dialect.ReadRequest(headers));
        Assert.Equal(cos, headers["x-cos-acl"]);
    }

    [Theory]
    [InlineData("public-read-write")]
    [InlineData("authenticated-read")]
    [InlineData("log-delivery-write")]
    public void CannedAclsWithoutAnEquivalent_AreRefused(string amz)
    {
        var headers = new HeaderDictionary { ["x-amz-acl"] = amz };

        Assert.Contains(amz, S3Dialect.ReadRequest(headers), StringComparison.Ordinal);
        Assert.False(headers.ContainsKey("x-cos-acl"));
    }

    private const string Owner = "qcs::cam::uin/1250000000:uin/1250000000";

    private static (string Acl, IReadOnlyList<ObjectGrant> Grants) Document(string xml) =>
        ObjectAcl.FromXml(System.Text.Encoding.UTF8.GetBytes(xml), out _) ?? throw new InvalidOperationException("not a document");

    private static string Policy(params string[] grants) =>
        $"<AccessControlPolicy><Owner><ID>{Owner}</ID></Owner><AccessControlList>{string.Concat(grants)}</AccessControlList></AccessControlPolicy>";

    private static string Grant(string grantee, string permission) =>
        $"<Grant><Grantee>{(grantee.StartsWith("http", StringComparison.Ordinal) ? $"<URI>{grantee}</URI>" : $"<ID>{grantee}</ID>")}</Grantee><Permission>{permission}</Permission></Grant>";

    [Fact]
    public void TheOwnerOnlyDocument_ThatGetAclAnswersForAnObjectFollowingItsBucket_SetsNothing()
    {
        var written = S3Dialect.ReadAclDocument(Document(Policy(Grant(Owner, "FULL_CONTROL"))), Owner);

        Assert.Equal(ObjectAttributes.DefaultAcl, written.Acl);
        Assert.Empty(written.Grants);
        // Read back, it is the same document again.
        var again = S3Dialect.ReadAclDocument(Document(ObjectAcl.ToXml(ObjectAttributes.Default.WithAcl(written.Acl, written.Grants), Owner).ToString()), Owner);
        Assert.Equal(ObjectAttributes.DefaultAcl, again.Acl);
        Assert.Empty(again.Grants);
    }

    [Fact]
    public void ADocumentGrantingThePublicNothing_FollowsTheBucket_AndKeepsItsGrants()
    {
        var written = S3Dialect.ReadAclDocument(Document(Policy(Grant(Owner, "FULL_CONTROL"), Grant("100000000001", "READ"))), Owner);

        Assert.Equal(ObjectAttributes.DefaultAcl, written.Acl);
        Assert.Equal([new ObjectGrant("FULL_CONTROL", Owner), new ObjectGrant("READ", "qcs::cam::uin/100000000001:uin/100000000001")], written.Grants);
    }

    [Fact]
    public void ADocumentGrantingThePublicRead_IsPublicRead_AsWritten()
    {
        var document = Document(Policy(Grant(Owner, "FULL_CONTROL"), Grant("http://acs.amazonaws.com/groups/global/AllUsers", "READ")));

        var written = S3Dialect.ReadAclDocument(document, Owner);

        Assert.Equal("public-read", written.Acl);
        Assert.Equal(document.Grants, written.Grants);
    }

    [Fact]
    public void ThePublicGroup_IsAnsweredInTheCallersSpelling()
    {
        var attributes = ObjectAttributes.Default.WithAcl("public-read", [new("FULL_CONTROL", Owner), new("READ", ObjectAcl.AllUsersUri)]);

        var cos = ObjectAcl.ToXml(attributes, Owner).ToString();
        var s3 = ObjectAcl.ToXml(attributes, Owner, ObjectAcl.S3AllUsersUri).ToString();

        Assert.Contains("<URI>http://cam.qcloud.com/groups/global/AllUsers</URI>", cos, StringComparison.Ordinal);
        Assert.Contains("<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>", s3, StringComparison.Ordinal);
        Assert.DoesNotContain("cam.qcloud.com", s3, StringComparison.Ordinal);
        // Either spelling written back is the same public grant.
        Assert.Equal(Document(cos).Grants, Document(s3).Grants);
    }
}
