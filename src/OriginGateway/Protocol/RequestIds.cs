using System.Security.Cryptography;

namespace OriginGateway.Protocol;

/// <summary>Request ids for <c>x-cos-request-id</c>: a per-process random prefix and a counter, unique across restarts and replicas.</summary>
internal static class RequestIds
{
    public const string HeaderName = "x-cos-request-id";

    private static readonly string Prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
    private static long _counter;

    public static string Next() => string.Create(24, Interlocked.Increment(ref _counter), static (span, n) =>
    {
        Prefix.AsSpan().CopyTo(span);
        ((ulong)n).TryFormat(span[12..], out _, "x12");
    });
}
