using System.Text.Json.Serialization;

namespace OriginGateway.FetchTasks;

/// <summary>A COS fetch task's parameters as stored with the task (bucket and key are columns).</summary>
internal sealed record FetchTaskPayload(
    string Url,
    string? Md5,
    bool IgnoreSameKey,
    string? OnKeyExist,
    string? SuccessCallbackUrl,
    string? FailureCallbackUrl);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FetchTaskPayload))]
// The command line's request body (its keys as the COS API spells them: a dictionary's keys keep their case).
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class FetchTaskJsonContext : JsonSerializerContext;
