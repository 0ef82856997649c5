using System.Buffers;

namespace OriginGateway.Protocol;

/// <summary>
/// What a response header value may hold: anything but a control character other than the horizontal tab (Kestrel
/// refuses one, and the whole response with it). Values that are not ASCII go out as UTF-8. A value is checked where it
/// enters the gateway — a client's write, an origin's answer — so that nothing stored can fail a read.
/// </summary>
internal static class HeaderValues
{
    private static readonly SearchValues<char> Unsendable = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    /// <summary>Whether a header value can be sent to a client: no control character but the horizontal tab.</summary>
    public static bool IsSendable(string value) => value.AsSpan().IndexOfAny(Unsendable) < 0;
}
