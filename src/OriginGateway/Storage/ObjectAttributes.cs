using System.Text.Json;
using System.Text.Json.Serialization;

namespace OriginGateway.Storage;

/// <summary>
/// What an object carries besides its body and headers that can change on its own: its access control
/// (a canned ACL — <c>default</c>, <c>private</c>, <c>public-read</c> — and its grants) and its tags.
/// Kept with the object version it belongs to: written with the body, replaced later without touching
/// the body, gone when the object is deleted or replaced.
/// </summary>
/// <param name="Acl">The canned ACL; <c>default</c> follows the bucket.</param>
/// <param name="Grants">The grants as the ACL was set (permission, grantee id or group URI); empty for <c>default</c>.</param>
/// <param name="Tags">The tags, in the order they were given.</param>
internal sealed record ObjectAttributes(string Acl, IReadOnlyList<ObjectGrant> Grants, IReadOnlyList<KeyValuePair<string, string>> Tags)
{
    public const string DefaultAcl = "default";

    public static readonly ObjectAttributes Default = new(DefaultAcl, [], []);

    public bool IsDefault => Acl == DefaultAcl && Grants.Count == 0 && Tags.Count == 0;

    public ObjectAttributes WithTags(IReadOnlyList<KeyValuePair<string, string>> tags) => this with { Tags = tags };

    public ObjectAttributes WithAcl(string acl, IReadOnlyList<ObjectGrant> grants) => this with { Acl = acl, Grants = grants };

    /// <summary>The stored form; null for the defaults (nothing to store).</summary>
    public ObjectAttributesRecord? ToRecord() => IsDefault ? null : new ObjectAttributesRecord(
        Acl,
        Grants.Count == 0 ? null : [.. Grants.Select(g => new[] { g.Permission, g.Grantee })],
        Tags.Count == 0 ? null : [.. Tags.Select(t => new[] { t.Key, t.Value })]);

    public static ObjectAttributes FromRecord(ObjectAttributesRecord? record) => record is null ? Default : new ObjectAttributes(
        string.IsNullOrEmpty(record.Acl) ? DefaultAcl : record.Acl,
        record.Grants?.Where(g => g.Length == 2).Select(g => new ObjectGrant(g[0], g[1])).ToArray() ?? [],
        record.Tags?.Where(t => t.Length == 2).Select(t => new KeyValuePair<string, string>(t[0], t[1])).ToArray() ?? []);

    /// <summary>The attributes as one JSON text (for records that keep them as a metadata value); null for the defaults.</summary>
    public string? ToJson() => ToRecord() is { } record ? JsonSerializer.Serialize(record, ObjectAttributesJsonContext.Default.ObjectAttributesRecord) : null;

    public static ObjectAttributes FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return Default;
        }
        try
        {
            return FromRecord(JsonSerializer.Deserialize(json, ObjectAttributesJsonContext.Default.ObjectAttributesRecord));
        }
        catch (JsonException)
        {
            return Default;
        }
    }

    public bool Equals(ObjectAttributes? other) =>
        other is not null && Acl == other.Acl && Grants.SequenceEqual(other.Grants) && Tags.SequenceEqual(other.Tags);

    public override int GetHashCode() => HashCode.Combine(Acl, Grants.Count, Tags.Count);
}

/// <summary>One grant of an object ACL: <c>READ</c> or <c>FULL_CONTROL</c> (or another COS permission) to an id or a group URI.</summary>
internal sealed record ObjectGrant(string Permission, string Grantee);

/// <summary>The JSON form of <see cref="ObjectAttributes"/> in object trailers, S3 records and attribute files.</summary>
internal sealed record ObjectAttributesRecord(
    [property: JsonPropertyName("acl")] string? Acl,
    [property: JsonPropertyName("g")] string[][]? Grants,
    [property: JsonPropertyName("t")] string[][]? Tags);

/// <summary>
/// An attribute file (filesystem store) or attribute object (S3 store): the attributes that replaced
/// the ones written with a version, and which version (<paramref name="Version"/>) they belong to.
/// </summary>
internal sealed record ObjectAttributesFile(
    [property: JsonPropertyName("v")] string Version,
    [property: JsonPropertyName("a")] ObjectAttributesRecord? Attributes)
{
    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, ObjectAttributesJsonContext.Default.ObjectAttributesFile);

    public static ObjectAttributesFile? Decode(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ObjectAttributesJsonContext.Default.ObjectAttributesFile) is { Version: not null } file ? file : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ObjectAttributesFile))]
[JsonSerializable(typeof(ObjectAttributesRecord))]
internal sealed partial class ObjectAttributesJsonContext : JsonSerializerContext;
