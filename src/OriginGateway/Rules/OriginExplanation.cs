using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OriginGateway.Rules;

/// <summary>
/// What a miss of a key would do, without contacting any origin (<c>01-data-plane.md</c> §1.5):
/// the rule, the action, the exact origin URL, the candidate hosts in order, the headers sent
/// and dropped, and whether the object would be stored. Shared by <c>?origin-explain</c> and
/// <c>rules explain</c>.
/// </summary>
internal static class OriginExplanation
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <param name="rules">The bucket's compiled rules.</param>
    /// <param name="key">The key (decoded).</param>
    /// <param name="scheme">The client's scheme (for Protocol FOLLOW).</param>
    /// <param name="rawQuery">The client's raw query, without '?'.</param>
    /// <param name="headers">The client's request headers.</param>
    public static byte[] Explain(CompiledRuleSet rules, string key, string scheme, string? rawQuery, IHeaderDictionary headers)
    {
        var rule = rules.Match(key, 404);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Indented))
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            if (rule is null)
            {
                json.WriteNull("rule");
                json.WriteString("action", "miss");
                json.WriteNull("url");
                json.WriteStartArray("hosts");
                json.WriteEndArray();
                json.WriteStartObject("headers");
                json.WriteStartObject("sent");
                json.WriteEndObject();
                json.WriteStartArray("dropped");
                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteBoolean("stores", false);
            }
            else
            {
                var plan = OriginRequestPlan.Build(rule, key, scheme, rawQuery, headers);
                json.WriteNumber("rule", rule.Priority);
                json.WriteString("action", rule.ActionName);
                json.WriteString("url", plan.UrlFor(rule.Hosts[0].HostName).AbsoluteUri);
                if (rule.Type == OriginType.Redirect || rule.ExplicitRedirectCode is not null)
                {
                    json.WriteNumber("redirectCode", rule.RedirectCode);
                }
                json.WriteStartArray("hosts");
                foreach (var host in rule.Hosts)
                {
                    json.WriteStringValue(host.HostName);
                    foreach (var standby in host.Standbys)
                    {
                        json.WriteStringValue(standby);
                    }
                }
                json.WriteEndArray();
                json.WriteStartObject("headers");
                json.WriteStartObject("sent");
                foreach (var (name, value) in plan.Headers)
                {
                    json.WriteString(name, value);
                }
                json.WriteEndObject();
                json.WriteStartArray("dropped");
                foreach (var name in plan.Dropped)
                {
                    json.WriteStringValue(name);
                }
                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteBoolean("stores", rule.Stores);
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
