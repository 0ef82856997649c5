using System.Data.Common;
using OriginGateway.Protocol;

namespace OriginGateway.Dependencies;

/// <summary>
/// Which outside dependency an exception says is failing: the control database, the object store (a
/// remote S3 store or the local disk), or none (a bug, or the client). Requests map a dependency's
/// failure to a retryable 503 in their API's own format; background loops back off and resume.
/// </summary>
internal static class DependencyFailure
{
    public const string Database = "database";
    public const string Store = "store";

    /// <summary>The reason (a fill's, a task's) when the store could not take an object: a full disk, an S3 endpoint that is down.</summary>
    public const string StoreFailed = "StoreFailed";

    /// <summary>The failing dependency, or null when the exception is not a dependency failure.</summary>
    public static string? Of(Exception exception) => exception switch
    {
        DbException => Database,
        BodyReadException => null, // the client's body, not a dependency
        Microsoft.AspNetCore.Http.BadHttpRequestException => null,
        InvalidOperationException { InnerException: DbException } => Database,
        Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException => Store,
        HttpRequestException => Store,
        TimeoutException { InnerException: DbException } => Database,
        TimeoutException => Store,
        IOException or UnauthorizedAccessException => Store,
        _ => null,
    };

    /// <summary>The message a client gets for a dependency's failure (never the exception's text).</summary>
    public static string Message(string dependency) => dependency == Database
        ? "The control database is unavailable; retry the request."
        : "The object store is unavailable; retry the request.";
}
