using System.Text.Json;

namespace OriginGateway.Security;

/// <summary>
/// A COS bucket policy (<c>?policy</c>, <c>03-security.md</c> §3.1): statements of principal, effect,
/// actions and resources. Only the service principal <c>{"service":"cos.qcloud.com"}</c> — the
/// gateway's own asynchronous origin-pull writes — is evaluated for allows; for everyone else
/// (<c>qcs::cam::anyone:anyone</c>, <c>*</c>) the explicit denies of reads are enforced, so a Deny
/// wins over a public-read bucket or object ACL. Other statements are kept and returned as written.
/// </summary>
internal sealed class BucketPolicy
{
    /// <summary>The largest policy document accepted.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    public const string ServicePrincipal = "cos.qcloud.com";

    private BucketPolicy(IReadOnlyList<Statement> statements) => Statements = statements;

    internal IReadOnlyList<Statement> Statements { get; }

    /// <summary>Parses and checks a policy; the error is a message for a 400 <c>MalformedPolicy</c>.</summary>
    public static BucketPolicy? Parse(ReadOnlySpan<byte> json, out string? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            error = "The policy is not valid JSON: " + e.Message;
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The policy must be a JSON object.";
                return null;
            }
            if (Property(root, "version") is { } version && (version.ValueKind != JsonValueKind.String || version.GetString() != "2.0"))
            {
                error = "The policy version must be \"2.0\".";
                return null;
            }
            if (Property(root, "Statement") is not { ValueKind: JsonValueKind.Array } statementArray || statementArray.GetArrayLength() == 0)
            {
                error = "The policy needs a non-empty Statement array.";
                return null;
            }
            // The older form names one principal for every statement at the top level.
            var sharedPrincipal = Property(root, "Principal");
            var statements = new List<Statement>();
            var index = 0;
            foreach (var element in statementArray.EnumerateArray())
            {
                index++;
                if (ParseStatement(element, sharedPrincipal, out error) is not { } statement)
                {
                    error = $"Statement {index}: {error}";
                    return null;
                }
                statements.Add(statement);
            }
            error = null;
            return new BucketPolicy(statements);
        }
    }

    private static Statement? ParseStatement(JsonElement element, JsonElement? sharedPrincipal, out string? error)
    {
        error = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "a statement must be an object.";
            return null;
        }
        var effect = Property(element, "Effect") is { ValueKind: JsonValueKind.String } e ? e.GetString()!.ToLowerInvariant() : "";
        if (effect is not ("allow" or "deny"))
        {
            error = "Effect must be \"allow\" or \"deny\".";
            return null;
        }
        if ((Property(element, "Principal") ?? sharedPrincipal) is not { } principal)
        {
            error = "Principal is required.";
            return null;
        }
        var actions = Strings(Property(element, "Action"));
        var resources = Strings(Property(element, "Resource"));
        if (actions is not { Count: > 0 })
        {
            error = "Action must be a string or a non-empty array of strings.";
            return null;
        }
        if (resources is not { Count: > 0 })
        {
            error = "Resource must be a string or a non-empty array of strings.";
            return null;
        }
        foreach (var resource in resources)
        {
            if (resource != "*" && !resource.StartsWith("qcs::cos:", StringComparison.Ordinal))
            {
                error = $"Resource '{resource}' is not a COS resource (qcs::cos:<Region>:uid/<APPID>:<BucketName-APPID>/<key>).";
                return null;
            }
        }
        var hasCondition = Property(element, "Condition") is { ValueKind: not JsonValueKind.Null };
        return new Statement(effect == "allow", NamesService(principal), actions, resources, hasCondition, NamesAnyone(principal));
    }

    /// <summary>Whether a principal names everyone: <c>"*"</c>, or <c>qcs::cam::anyone:anyone</c> / <c>*</c> under any key.</summary>
    private static bool NamesAnyone(JsonElement principal)
    {
        static bool Anyone(string s) => s is "*" or "qcs::cam::anyone:anyone";
        if (principal.ValueKind == JsonValueKind.String)
        {
            return Anyone(principal.GetString()!);
        }
        return principal.ValueKind == JsonValueKind.Object && principal.EnumerateObject().Any(p => (Strings(p.Value) ?? []).Any(Anyone));
    }

    /// <summary>
    /// Whether an explicit Deny for everyone covers <paramref name="action"/> (e.g. <c>name/cos:GetObject</c>)
    /// on the key. A Deny with a <c>Condition</c> the gateway cannot evaluate denies.
    /// </summary>
    public bool DeniesAnyone(string action, string bucket, string appId, string region, string key) =>
        Statements.Any(statement => !statement.Allow && statement.Anyone
            && statement.Actions.Any(a => ActionMatches(a, action))
            && statement.Resources.Any(r => ResourceMatches(r, bucket, appId, region, key)));

    /// <summary>Whether a principal names the service: <c>{"service":"cos.qcloud.com"}</c> (a string or an array).</summary>
    private static bool NamesService(JsonElement principal)
    {
        if (principal.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        foreach (var property in principal.EnumerateObject())
        {
            if (property.Name.Equals("service", StringComparison.OrdinalIgnoreCase)
                && (Strings(property.Value) ?? []).Any(s => s.Equals(ServicePrincipal, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Whether the service principal may do <paramref name="action"/> (e.g. <c>name/cos:PutObject</c>)
    /// on the key: an explicit deny wins, otherwise an allow is needed. A statement with a
    /// <c>Condition</c> the gateway cannot evaluate never allows, and always denies.
    /// </summary>
    public bool AllowsService(string action, string bucket, string appId, string region, string key)
    {
        var allowed = false;
        foreach (var statement in Statements)
        {
            if (!statement.Service || !statement.Actions.Any(a => ActionMatches(a, action))
                || !statement.Resources.Any(r => ResourceMatches(r, bucket, appId, region, key)))
            {
                continue;
            }
            if (!statement.Allow)
            {
                return false;
            }
            allowed |= !statement.HasCondition;
        }
        return allowed;
    }

    /// <summary>
    /// The document as the gateway keeps and returns it: the older form (top-level lower-case
    /// <c>statement</c>, one top-level <c>principal</c>) becomes the current one — <c>Statement</c>, each
    /// statement with its <c>Principal</c> — everything else as written. A current document is kept as is.
    /// </summary>
    public static byte[] Normalize(byte[] document)
    {
        if (System.Text.Json.Nodes.JsonNode.Parse(document) is not System.Text.Json.Nodes.JsonObject root)
        {
            return document;
        }
        var statementName = root.Select(p => p.Key).FirstOrDefault(k => k.Equals("Statement", StringComparison.OrdinalIgnoreCase));
        var principalName = root.Select(p => p.Key).FirstOrDefault(k => k.Equals("Principal", StringComparison.OrdinalIgnoreCase));
        if (statementName is null || (statementName == "Statement" && principalName is null))
        {
            return document;
        }
        var statements = root[statementName]!.DeepClone();
        if (principalName is not null)
        {
            foreach (var statement in statements.AsArray().OfType<System.Text.Json.Nodes.JsonObject>())
            {
                if (!statement.Any(p => p.Key.Equals("Principal", StringComparison.OrdinalIgnoreCase)))
                {
                    statement["Principal"] = root[principalName]!.DeepClone();
                }
            }
            root.Remove(principalName);
        }
        root.Remove(statementName);
        root["Statement"] = statements;
        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static bool ActionMatches(string pattern, string action) =>
        pattern == "*" || Wildcard.Matches(pattern.ToLowerInvariant(), action.ToLowerInvariant());

    /// <summary><c>qcs::cos:&lt;region&gt;:uid/&lt;appid&gt;:&lt;bucket&gt;/&lt;key pattern&gt;</c>, with <c>*</c> wildcards in every part.</summary>
    internal static bool ResourceMatches(string resource, string bucket, string appId, string region, string key)
    {
        if (resource == "*")
        {
            return true;
        }
        // qcs : : cos : region : uid/appid : bucket/key — the key may itself contain ':'.
        var parts = resource.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "qcs" || parts[1].Length != 0 || parts[2] != "cos")
        {
            return false;
        }
        // The region must match the bucket's when one is configured; any region matches otherwise.
        if (region.Length > 0 && !Wildcard.Matches(parts[3], region))
        {
            return false;
        }
        var account = parts[4];
        if (account.Length > 0 && account != "*")
        {
            var id = account.StartsWith("uid/", StringComparison.Ordinal) ? account[4..] : account;
            if (!Wildcard.Matches(id, appId))
            {
                return false;
            }
        }
        return Wildcard.Matches(parts[5], bucket + "/" + key);
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }
        return null;
    }

    private static List<string>? Strings(JsonElement? element) => element switch
    {
        { ValueKind: JsonValueKind.String } s => [s.GetString()!],
        { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) => a.EnumerateArray().Select(x => x.GetString()!).ToList(),
        _ => null,
    };

    internal sealed record Statement(bool Allow, bool Service, IReadOnlyList<string> Actions, IReadOnlyList<string> Resources, bool HasCondition, bool Anyone = false);

    /// <summary><c>*</c> matches any run of characters (including none); everything else literally.</summary>
    internal static class Wildcard
    {
        public static bool Matches(string pattern, string value)
        {
            int p = 0, v = 0, star = -1, mark = 0;
            while (v < value.Length)
            {
                if (p < pattern.Length && pattern[p] == '*')
                {
                    star = p++;
                    mark = v;
                }
                else if (p < pattern.Length && pattern[p] == value[v])
                {
                    p++;
                    v++;
                }
                else if (star >= 0)
                {
                    p = star + 1;
                    v = ++mark;
                }
                else
                {
                    return false;
                }
            }
            while (p < pattern.Length && pattern[p] == '*')
            {
                p++;
            }
            return p == pattern.Length;
        }
    }
}
