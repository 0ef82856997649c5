namespace OriginGateway.Protocol;

/// <summary>A request's query parameters, decoded, in request order.</summary>
internal static class QueryParameters
{
    /// <summary>Parses the raw query (without '?'); false when a part is not valid percent-encoded UTF-8.</summary>
    public static bool TryParse(string rawQuery, out List<KeyValuePair<string, string>> parameters)
    {
        parameters = [];
        foreach (var range in rawQuery.AsSpan().Split('&'))
        {
            var part = rawQuery.AsSpan(range);
            if (part.IsEmpty)
            {
                continue;
            }
            var eq = part.IndexOf('=');
            var rawName = eq < 0 ? part : part[..eq];
            var rawValue = eq < 0 ? [] : part[(eq + 1)..];
            if (KeyDecoding.TryDecodeQueryPart(rawName, out var name) != KeyStatus.Valid
                || KeyDecoding.TryDecodeQueryPart(rawValue, out var value) != KeyStatus.Valid)
            {
                return false;
            }
            parameters.Add(new(name, value));
        }
        return true;
    }

    /// <summary>The first value of a parameter (names compared exactly); null when absent.</summary>
    public static string? Get(IReadOnlyList<KeyValuePair<string, string>>? parameters, string name)
    {
        if (parameters is null)
        {
            return null;
        }
        foreach (var (n, v) in parameters)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                return v;
            }
        }
        return null;
    }
}
