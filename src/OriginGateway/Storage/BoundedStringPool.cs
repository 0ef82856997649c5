using System.Collections.Concurrent;

namespace OriginGateway.Storage;

/// <summary>
/// One shared instance of each of a few strings that many objects repeat (metadata names, content types), so the index
/// holds each once rather than once per object. Bounded: past <c>capacity</c> strings, or for a string longer than
/// <c>maxLength</c>, the caller keeps its own instance.
/// </summary>
internal sealed class BoundedStringPool(int capacity, int maxLength)
{
    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);

    public string Get(string value) =>
        _strings.TryGetValue(value, out var pooled) ? pooled
        : value.Length <= maxLength && _strings.Count < capacity ? _strings.GetOrAdd(value, value)
        : value;
}
