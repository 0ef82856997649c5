using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using OriginGateway.Buckets;
using OriginGateway.Protocol;
using OriginGateway.Storage;

namespace OriginGateway.Security;

/// <summary>
/// Object ACLs as COS has them: the canned ACLs <c>default</c> (follow the bucket), <c>private</c> and
/// <c>public-read</c> (<c>x-cos-acl</c>), grants by header (<c>x-cos-grant-read</c>,
/// <c>x-cos-grant-full-control</c>, … with <c>id="…"</c> / <c>uri="…"</c> values) or as an
/// <c>AccessControlPolicy</c> document, and what they mean for an anonymous read.
/// </summary>
internal static partial class ObjectAcl
{
    /// <summary>The group of all users, as COS and the SDKs write it.</summary>
    public const string AllUsersUri = "http://cam.qcloud.com/groups/global/AllUsers";

    /// <summary>The same group as S3 and its tools write it (read as <see cref="AllUsersUri"/>; answered to S3 callers).</summary>
    public const string S3AllUsersUri = "http://acs.amazonaws.com/groups/global/AllUsers";

    /// <summary>The public group as a caller of <paramref name="dialect"/> writes it.</summary>
    public static string AllUsersUriFor(AuthDialect dialect) => dialect == AuthDialect.S3 ? S3AllUsersUri : AllUsersUri;

    public const string AnyoneId = "qcs::cam::anyone:anyone";

    public const int MaxDocumentBytes = 64 * 1024;

    public static readonly string[] CannedAcls = [ObjectAttributes.DefaultAcl, "private", "public-read"];

    /// <summary>Grant headers and the permission each gives.</summary>
    private static readonly (string Header, string Permission)[] GrantHeaders =
    [
        ("x-cos-grant-read", "READ"),
        ("x-cos-grant-read-acp", "READ_ACP"),
        ("x-cos-grant-write-acp", "WRITE_ACP"),
        ("x-cos-grant-full-control", "FULL_CONTROL"),
    ];

    private static readonly string[] Permissions = ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"];

    /// <summary>The owner's id in ACL documents: the bucket's APPID as a COS account.</summary>
    public static string OwnerId(Bucket bucket)
    {
        var account = bucket.AppId.Length > 0 ? bucket.AppId : "0";
        return $"qcs::cam::uin/{account}:uin/{account}";
    }

    /// <summary>
    /// The ACL the request's headers set (a PUT, a multipart initiate, a copy, or <c>PUT ?acl</c> without a
    /// body): the canned ACL and the grants it amounts to, owner included. Null with the 400 message when a
    /// value is not valid.
    /// </summary>
    public static (string Acl, IReadOnlyList<ObjectGrant> Grants)? FromHeaders(IHeaderDictionary headers, string ownerId, out string? error)
    {
        error = null;
        var acl = headers["x-cos-acl"].ToString().Trim();
        if (acl.Length == 0)
        {
            acl = ObjectAttributes.DefaultAcl;
        }
        if (!CannedAcls.Contains(acl, StringComparer.Ordinal))
        {
            error = $"x-cos-acl '{acl}' is not valid for an object: use default, private or public-read.";
            return null;
        }
        var grants = new List<ObjectGrant>();
        foreach (var (header, permission) in GrantHeaders)
        {
            var value = headers[header].ToString();
            if (value.Trim().Length == 0)
            {
                continue;
            }
            foreach (var part in value.Split(','))
            {
                if (ParseGrantee(part.Trim()) is not { } grantee)
                {
                    error = $"{header}: '{part.Trim()}' is not a grantee (id=\"<uin>\", id=\"qcs::cam::uin/<uin>:uin/<uin>\", id=\"{AnyoneId}\" or uri=\"{AllUsersUri}\").";
                    return null;
                }
                var grant = new ObjectGrant(permission, grantee);
                if (!grants.Contains(grant))
                {
                    grants.Add(grant);
                }
            }
        }
        if (acl == ObjectAttributes.DefaultAcl && grants.Count == 0)
        {
            return (acl, []);
        }
        // What GET ?acl shows: the owner's full control, the public group's read for public-read, then the grants.
        var all = new List<ObjectGrant> { new("FULL_CONTROL", ownerId) };
        if (acl == "public-read")
        {
            all.Add(new ObjectGrant("READ", AllUsersUri));
        }
        all.AddRange(grants.Where(g => !all.Contains(g)));
        return (acl, all);
    }

    /// <summary>
    /// The ACL an <c>AccessControlPolicy</c> document sets: its grants as written; the canned ACL is
    /// <c>public-read</c> when the public may read, else <c>private</c>. Null with the message of a 400
    /// <c>MalformedXML</c> when it is not one.
    /// </summary>
    public static (string Acl, IReadOnlyList<ObjectGrant> Grants)? FromXml(ReadOnlySpan<byte> body, out string? error)
    {
        if (RequestXml.TryLoad(body, MaxDocumentBytes, out error) is not { Root: { } root })
        {
            return null;
        }
        if (root.Name.LocalName != "AccessControlPolicy" || RequestXml.Child(root, "AccessControlList") is not { } list)
        {
            error = "The document must be an AccessControlPolicy with an AccessControlList.";
            return null;
        }
        var grants = new List<ObjectGrant>();
        foreach (var grant in RequestXml.Children(list, "Grant"))
        {
            var grantee = RequestXml.Child(grant, "Grantee");
            var id = grantee is null ? null : RequestXml.Child(grantee, "ID")?.Value.Trim();
            var uri = grantee is null ? null : RequestXml.Child(grantee, "URI")?.Value.Trim();
            var permission = RequestXml.Child(grant, "Permission")?.Value.Trim();
            var who = id is { Length: > 0 } ? ParseGrantee($"id=\"{id}\"") : uri is { Length: > 0 } ? ParseGrantee($"uri=\"{uri}\"") : null;
            if (who is null || permission is null || !Permissions.Contains(permission, StringComparer.Ordinal))
            {
                error = "Every Grant needs a Grantee (ID or URI) and a Permission (READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL).";
                return null;
            }
            grants.Add(new ObjectGrant(permission, who));
        }
        return (GrantsPublicRead(grants) ? "public-read" : "private", grants);
    }

    /// <summary>
    /// Whether an anonymous caller may read the object: a grant to everyone, or <c>public-read</c>, opens
    /// it; <c>private</c> closes it; <c>default</c> follows the bucket.
    /// </summary>
    public static bool AllowsAnonymousRead(ObjectAttributes attributes, bool bucketPublicRead) =>
        GrantsPublicRead(attributes.Grants) || attributes.Acl switch
        {
            "public-read" => true,
            "private" => false,
            _ => bucketPublicRead,
        };

    /// <summary>Whether the object's ACL says anything beyond following the bucket.</summary>
    public static bool OverridesBucket(ObjectAttributes attributes) => attributes.Acl != ObjectAttributes.DefaultAcl || attributes.Grants.Count > 0;

    /// <summary>
    /// The <c>AccessControlPolicy</c> answer of <c>GET ?acl</c>, the group of all users spelled
    /// <paramref name="allUsersUri"/> (S3 tools look for theirs to tell, and to take away, public access).
    /// </summary>
    public static XElement ToXml(ObjectAttributes attributes, string ownerId, string allUsersUri = AllUsersUri)
    {
        XNamespace xsi = "http://www.w3.org/2001/XMLSchema-instance";
        var grants = attributes.Grants.Count > 0 ? attributes.Grants : [new ObjectGrant("FULL_CONTROL", ownerId)];
        return new XElement("AccessControlPolicy",
            new XElement("Owner", new XElement("ID", ownerId), new XElement("DisplayName", ownerId)),
            new XElement("AccessControlList", grants.Select(g => new XElement("Grant",
                IsUri(g.Grantee)
                    ? new XElement("Grantee", new XAttribute(XNamespace.Xmlns + "xsi", xsi), new XAttribute(xsi + "type", "Group"), new XElement("URI", g.Grantee == AllUsersUri ? allUsersUri : g.Grantee))
                    : new XElement("Grantee", new XAttribute(XNamespace.Xmlns + "xsi", xsi), new XAttribute(xsi + "type", "CanonicalUser"), new XElement("ID", g.Grantee), new XElement("DisplayName", g.Grantee)),
                new XElement("Permission", g.Permission)))));
    }

    private static bool GrantsPublicRead(IEnumerable<ObjectGrant> grants) =>
        grants.Any(g => g.Permission is "READ" or "FULL_CONTROL" && g.Grantee is AnyoneId or AllUsersUri);

    private static bool IsUri(string grantee) => grantee.StartsWith("http://", StringComparison.Ordinal) || grantee.StartsWith("https://", StringComparison.Ordinal);

    /// <summary><c>id="…"</c> or <c>uri="…"</c> → the grantee as stored (a bare uin becomes its COS account id); null when not valid.</summary>
    internal static string? ParseGrantee(string text)
    {
        var match = GranteePattern().Match(text);
        if (!match.Success)
        {
            return null;
        }
        var value = match.Groups["value"].Value;
        if (match.Groups["kind"].Value.Equals("uri", StringComparison.OrdinalIgnoreCase))
        {
            return value is AllUsersUri or S3AllUsersUri ? AllUsersUri : null;
        }
        if (value.Length > 0 && value.All(char.IsAsciiDigit))
        {
            return $"qcs::cam::uin/{value}:uin/{value}";
        }
        return value == AnyoneId || CamIdPattern().IsMatch(value) ? value : null;
    }

    [GeneratedRegex("""^(?<kind>id|uri)\s*=\s*"(?<value>[^"]*)"$""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GranteePattern();

    [GeneratedRegex(@"^qcs::cam::uin/\d{1,20}:(uin/\d{1,20}|service/[A-Za-z0-9_-]{1,64})$", RegexOptions.CultureInvariant)]
    private static partial Regex CamIdPattern();
}
