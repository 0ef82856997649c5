using System.Globalization;
using System.Text.Json;

namespace OriginGateway.Security;

/// <summary>
/// The policy of a browser form upload (S3's POST Object): a base64 JSON document with an <c>expiration</c> and
/// <c>conditions</c> that the form's fields must meet — <c>{"field": "value"}</c> and <c>["eq", "$field", "value"]</c>
/// exact, <c>["starts-with", "$field", "prefix"]</c>, <c>["content-length-range", min, max]</c> for the file's size.
/// Every field the form sends must be named by a condition, except the signature's own fields (S3's, and COS's <c>q-*</c>), <c>file</c>,
/// <c>policy</c> and <c>x-ignore-*</c>: a signed policy says everything the upload may set. Field names are compared
/// without regard to case, values exactly.
/// </summary>
internal sealed class PostPolicy
{
    /// <summary>The largest policy accepted (base64 text).</summary>
    public const int MaxEncodedLength = 20 * 1024;

    private static readonly string[] Unconditioned = ["file", "policy", "x-amz-signature", "signature", "awsaccesskeyid"];

    private readonly List<(string Operator, string Field, string Value)> _matches;

    private PostPolicy(DateTimeOffset expiration, List<(string, string, string)> matches, long minLength, long maxLength)
    {
        Expiration = expiration;
        _matches = matches;
        MinLength = minLength;
        MaxLength = maxLength;
    }

    public DateTimeOffset Expiration { get; }

    /// <summary>The smallest file the policy accepts (0 when it sets no range).</summary>
    public long MinLength { get; }

    /// <summary>The largest file the policy accepts (<see cref="long.MaxValue"/> when it sets no range).</summary>
    public long MaxLength { get; }

    /// <summary>Decodes and reads a policy; null with the message of a 400 <c>InvalidPolicyDocument</c>.</summary>
    public static PostPolicy? Parse(string encoded, out string? error)
    {
        if (encoded.Length > MaxEncodedLength)
        {
            error = $"The policy is longer than {MaxEncodedLength} characters.";
            return null;
        }
        byte[] json;
        try
        {
            json = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            error = "The policy is not valid base64.";
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            return Read(document.RootElement, out error);
        }
        catch (JsonException e)
        {
            error = "The policy is not valid JSON: " + e.Message;
            return null;
        }
    }

    private static PostPolicy? Read(JsonElement root, out string? error)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("expiration", out var expirationText) || expirationText.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParse(expirationText.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expiration))
        {
            error = "The policy needs an expiration, an ISO 8601 time such as 2026-12-01T12:00:00.000Z.";
            return null;
        }
        if (!root.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array)
        {
            error = "The policy needs a conditions array.";
            return null;
        }
        var matches = new List<(string, string, string)>();
        long min = 0, max = long.MaxValue;
        foreach (var condition in conditions.EnumerateArray())
        {
            if (condition.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in condition.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        error = $"The condition on '{property.Name}' must be a string.";
                        return null;
                    }
                    matches.Add(("eq", property.Name.ToLowerInvariant(), property.Value.GetString()!));
                }
                continue;
            }
            if (condition.ValueKind != JsonValueKind.Array || condition.GetArrayLength() != 3 || condition[0].ValueKind != JsonValueKind.String)
            {
                error = "A condition is an object of one field and value, or an array of three: an operator, a $field and a value.";
                return null;
            }
            var op = condition[0].GetString()!.ToLowerInvariant();
            if (op == "content-length-range")
            {
                if (!TryReadLength(condition[1], out min) || !TryReadLength(condition[2], out max) || min > max)
                {
                    error = "content-length-range takes two sizes in bytes, the smaller first.";
                    return null;
                }
                continue;
            }
            if (op is not ("eq" or "starts-with") || condition[1].ValueKind != JsonValueKind.String || condition[2].ValueKind != JsonValueKind.String
                || condition[1].GetString() is not ['$', .. var field] || field.Length == 0)
            {
                error = $"The condition '{condition.GetRawText()}' is not eq or starts-with of a $field and a string.";
                return null;
            }
            matches.Add((op, field.ToLowerInvariant(), condition[2].GetString()!));
        }
        error = null;
        return new PostPolicy(expiration, matches, min, max);
    }

    private static bool TryReadLength(JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetInt64(out value) && value >= 0,
            JsonValueKind.String => long.TryParse(element.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    /// <summary>
    /// Whether the form's <paramref name="fields"/> (names in lower case; <c>bucket</c> is the bucket posted to) meet
    /// every condition at <paramref name="now"/>, and name no field the policy does not; null when they do, else why not.
    /// </summary>
    public string? Check(IReadOnlyDictionary<string, string> fields, string bucket, DateTimeOffset now)
    {
        if (now > Expiration)
        {
            return "Invalid according to Policy: Policy expired.";
        }
        foreach (var (op, field, value) in _matches)
        {
            // A COS form's policy names its signature's window q-sign-time; the form sends it as q-key-time.
            var actual = field == "bucket" ? bucket
                : fields.GetValueOrDefault(field) ?? (field == "q-sign-time" ? fields.GetValueOrDefault("q-key-time") : null) ?? "";
            var met = op == "eq" ? actual == value : actual.StartsWith(value, StringComparison.Ordinal);
            if (!met)
            {
                return $"Invalid according to Policy: Policy Condition failed: [\"{op}\", \"${field}\", \"{value}\"]";
            }
        }
        // q-* are a COS form's signature fields (its policy names q-sign-time for the q-key-time the form sends).
        var extra = fields.Keys.Where(name => Array.IndexOf(Unconditioned, name) < 0 && !name.StartsWith("x-ignore-", StringComparison.Ordinal)
            && !name.StartsWith("q-", StringComparison.Ordinal) && !_matches.Exists(m => m.Field == name)).Order(StringComparer.Ordinal).ToList();
        return extra.Count == 0 ? null : "Invalid according to Policy: Extra input fields: " + string.Join(", ", extra);
    }
}
