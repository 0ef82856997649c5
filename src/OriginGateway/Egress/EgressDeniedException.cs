namespace OriginGateway.Egress;

/// <summary>An outgoing connection the egress guard refused. Surfaces inside <see cref="HttpRequestException"/>.</summary>
public sealed class EgressDeniedException : Exception
{
    public EgressDeniedException()
    {
    }

    public EgressDeniedException(string message) : base(message)
    {
    }

    public EgressDeniedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>True when <paramref name="exception"/> or one of its inner exceptions is an egress denial.</summary>
    public static bool IsDenial(Exception? exception, out string message)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is EgressDeniedException denied)
            {
                message = denied.Message;
                return true;
            }
        }
        message = "";
        return false;
    }
}
