using System.Collections.Concurrent;

namespace OriginGateway.Security;

/// <summary>
/// COS signatures already computed for requests that matched, under the exact bytes they were computed from (the SignKey,
/// the SignTime, the HttpString). A signature is a function of those bytes alone, so a request whose inputs are the same
/// bytes has the same signature: a presigned URL fetched again (a player's range requests, a page's images, a CDN's
/// back-to-origin pulls) or an SDK's Authorization reused within its second is compared with it without the SHA-1 and
/// HMAC. The present is still checked against the signature's window, the SecretId still looked up, and the comparison
/// is still made in constant time; a signature that did not match is never kept.
/// </summary>
/// <remarks>
/// At most <see cref="Capacity"/> entries of at most <see cref="MaxInputLength"/> bytes of inputs (a few hundred bytes
/// each for usual requests); when full, all are dropped at once. Lookups allocate nothing (the dictionary is read
/// through a span of the inputs); the bucket hash is the process-seeded <see cref="HashCode"/>, so chosen inputs cannot
/// pile into one bucket.
/// </remarks>
internal static class KnownSignatures
{
    public const int Capacity = 4096;

    /// <summary>Inputs longer than this (a long key, large signed header values) are not kept: at most ~4.5 MB in all.</summary>
    public const int MaxInputLength = 1024;

    private static readonly ConcurrentDictionary<byte[], byte[]> Entries = new(InputsComparer.Instance);
    private static readonly ConcurrentDictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> BySpan =
        Entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    private static int s_count;

    /// <summary>The signature computed from <paramref name="inputs"/>, if one was kept.</summary>
    public static byte[]? Find(ReadOnlySpan<byte> inputs)
    {
        if (!BySpan.TryGetValue(inputs, out var signature))
        {
            return null;
        }
        t_found++;
        return signature;
    }

    /// <summary>How many signatures this thread found kept (for tests: which path a verification took).</summary>
    internal static int FoundOnThisThread => t_found;

    [ThreadStatic]
    private static int t_found;

    /// <summary>Keeps the signature that matched for <paramref name="inputs"/>.</summary>
    public static void Add(ReadOnlySpan<byte> inputs, ReadOnlySpan<byte> signature)
    {
        if (inputs.Length > MaxInputLength)
        {
            return;
        }
        if (Volatile.Read(ref s_count) >= Capacity)
        {
            Clear();
        }
        if (Entries.TryAdd(inputs.ToArray(), signature.ToArray()))
        {
            Interlocked.Increment(ref s_count);
        }
    }

    /// <summary>How many are kept (for tests).</summary>
    internal static int Count => Entries.Count;

    /// <summary>Drops every kept signature.</summary>
    internal static void Clear()
    {
        Entries.Clear();
        Volatile.Write(ref s_count, 0);
    }

    private sealed class InputsComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly InputsComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
