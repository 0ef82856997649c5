using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Dependencies;
using OriginGateway.Observability;
using OriginGateway.Protocol;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.FrontDoor;

/// <summary>
/// The data endpoint: raw request target → bucket and key → signature → access → operation.
/// A guard chain with no routing tables, so an object GET costs a few lookups.
/// </summary>
internal sealed partial class DataPlaneHandler(
    BucketRegistry buckets,
    CosAuthenticator authenticator,
    S3Authenticator s3,
    ObjectWriteHandler writes,
    FormUploadHandler forms,
    SubresourceTable subresources,
    BucketPolicyService policies,
    IObjectMissHandler originPull,
    ICrossOriginRules cors,
    GatewayMetrics metrics,
    AccessLog accessLog,
    RequestAdmission admission,
    Lifecycle.StartupGate startup,
    ILoggerFactory loggers)
{
    public Task HandleAsync(HttpContext context)
    {
        Task handled;
        try
        {
            handled = HandleMeasuredAsync(context);
        }
        catch (Exception e)
        {
            return FailedAsync(context, e);
        }
        return handled.IsCompletedSuccessfully ? handled : GuardedAsync(context, handled);
    }

    private async Task GuardedAsync(HttpContext context, Task handled)
    {
        try
        {
            await handled.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await FailedAsync(context, e).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whatever a request's handler did not answer itself: a dependency's failure is a retryable 503
    /// <c>ServiceUnavailable</c>, anything else a 500 <c>InternalError</c> — in COS XML, never an exception
    /// page, never with the request's headers; a response already under way is cut, unless it is a 200 begun to keep
    /// slow work alive (<see cref="KeptAliveAnswer"/>), whose body then carries the error.
    /// </summary>
    private Task FailedAsync(HttpContext context, Exception exception)
    {
        if (context.RequestAborted.IsCancellationRequested && exception is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            return Task.CompletedTask;
        }
        if (BodyReadException.KestrelRefusal(exception) is { } malformed)
        {
            // The client's request body is malformed, too large or too slow: Kestrel closes the connection after
            // this answer, in COS XML while it can still be given.
            if (context.Response.HasStarted)
            {
                ResponseCut.Abort(context);
                return Task.CompletedTask;
            }
            var (code, message) = BodyReadException.Answer(malformed, ("IncompleteBody", "The request body is malformed or ended early."));
            return ErrorAsync(context, c => CosError.WriteAsync(c, StatusCodes.Status400BadRequest, code, message, RawPath(c)));
        }
        if (BodyRejectedException.Of(exception) is { } rejected)
        {
            // A body that fails a check it was sent with (its signature, its checksum, its framing): refused, nothing of it kept.
            return context.Response.HasStarted
                ? AbortAsync(context)
                : ErrorAsync(context, c => CosError.WriteAsync(c, rejected.Status, rejected.Code, rejected.Message, RawPath(c)));
        }
        var dependency = DependencyFailure.Of(exception);
        LogFailed(_failures, context.Request.Method, dependency ?? "unexpected", exception);
        if (KeptAliveAnswer.IsBegun(context))
        {
            // The 200 of slow work (a long copy) has gone out: the failure goes into its body, as S3 reports work that failed late.
            return dependency is null
                ? CosError.WriteAsync(context, 500, "InternalError", "The gateway failed to handle the request.", RawPath(context))
                : CosError.WriteAsync(context, 503, "ServiceUnavailable", DependencyFailure.Message(dependency), RawPath(context));
        }
        if (context.Response.HasStarted)
        {
            ResponseCut.Abort(context);
            return Task.CompletedTask;
        }
        return ErrorAsync(context, c => dependency is null
            ? CosError.WriteAsync(c, 500, "InternalError", "The gateway failed to handle the request.", RawPath(c))
            : CosError.ServiceUnavailableAsync(c, DependencyFailure.Message(dependency), RawPath(c)));
    }

    private static Task AbortAsync(HttpContext context)
    {
        ResponseCut.Abort(context);
        return Task.CompletedTask;
    }

    /// <summary>A fresh error answer that keeps the request id already given to the request.</summary>
    private static Task ErrorAsync(HttpContext context, Func<HttpContext, Task> write)
    {
        var requestId = context.Response.Headers[RequestIds.HeaderName].ToString();
        context.Response.Clear();
        context.Response.Headers[RequestIds.HeaderName] = requestId.Length > 0 ? requestId : RequestIds.Next();
        return write(context);
    }

    private static string RawPath(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { } target && TrySplitTarget(target, out var rawPath, out _) ? rawPath : "/";

    private readonly ILogger _failures = loggers.CreateLogger<DataPlaneHandler>();

    [LoggerMessage(EventId = LogEvents.DataRequestFailed, Level = LogLevel.Error, Message = "A {Method} request on the data endpoint failed ({Dependency})")]
    private static partial void LogFailed(ILogger logger, string method, string dependency, Exception exception);

    /// <summary>Times the request, counts it by bucket, action and status, and logs it when the access log is on.</summary>
    private async Task HandleMeasuredAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var measurement = new Measurement();
        context.Response.Headers[RequestIds.HeaderName] = RequestIds.Next();
        if (!startup.IsOpen)
        {
            // Started while the control database was away: no rule, policy or CORS configuration is loaded to answer with.
            await CosError.ServiceUnavailableAsync(context, Lifecycle.StartupGate.HeldMessage, RawPath(context)).ConfigureAwait(false);
        }
        else if (admission.TryEnter())
        {
            try
            {
                await HandleCoreAsync(context, measurement).ConfigureAwait(false);
            }
            finally
            {
                admission.Exit();
            }
        }
        else
        {
            await CosError.SlowDownAsync(context, RawPath(context)).ConfigureAwait(false);
        }
        var response = context.Response;
        var action = response.Headers[ObjectReadHandler.ActionHeader].ToString() is { Length: > 0 } a ? a : "api";
        // A response cut before its end (a fill that failed mid-body, a client gone) is no success: status "0".
        var status = response.HasStarted && ResponseCut.WasCut(context) ? 0 : response.StatusCode;
        metrics.Request(measurement.Bucket, action, status, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        if (action == "hit" && response.ContentLength is { } served && !HttpMethods.IsHead(context.Request.Method))
        {
            metrics.BytesServed("store", served);
        }
        if (accessLog.IsEnabled)
        {
            accessLog.Write(new AccessLine(context.Request.Method, measurement.Bucket, measurement.Key, action, response.StatusCode, response.ContentLength ?? 0,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.Headers[RequestIds.HeaderName].ToString(), context.Connection.RemoteIpAddress));
        }
    }

    /// <summary>What the measured path learns from the request as it is handled.</summary>
    private sealed class Measurement
    {
        public string Bucket { get; set; } = "none";

        public string? Key { get; set; }
    }

    private Task HandleCoreAsync(HttpContext context, Measurement measurement)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        if (!TrySplitTarget(rawTarget, out var rawPath, out var rawQuery))
        {
            return CosError.WriteAsync(context, 400, "InvalidArgument", "The request target is not a path.", rawTarget);
        }

        var host = HostWithoutPort(context.Request.Headers.Host);
        var bucket = buckets.Resolve(host, rawPath, out var keyStart, out var pathStyle, out var unknownBucketHost);
        // GET / on the service endpoint, or where nothing names a bucket: ListAllMyBuckets.
        var service = rawPath.Length == 1 && !unknownBucketHost && (bucket is null || (!pathStyle && buckets.IsServiceHost(host)));
        if (bucket is null && !service)
        {
            return CosError.WriteAsync(context, 404, "NoSuchBucket", "The specified bucket does not exist.", rawPath);
        }
        if (bucket is not null)
        {
            measurement.Bucket = bucket.Name;
            if (HttpMethods.IsOptions(context.Request.Method))
            {
                return cors.PreflightAsync(context, bucket, rawPath);
            }
            if (context.Request.Headers.Origin is { Count: > 0 } origin)
            {
                cors.AddHeaders(context, bucket, origin.ToString());
            }
        }

        var keyStatus = KeyDecoding.TryDecodePath(rawPath.AsSpan(keyStart), out var key);
        if (keyStatus == KeyStatus.Valid)
        {
            keyStatus = KeyDecoding.Check(key);
        }
        if (keyStatus != KeyStatus.Valid)
        {
            return keyStatus == KeyStatus.TooLong
                ? CosError.WriteAsync(context, 400, "KeyTooLong", KeyDecoding.TooLongMessage, rawPath)
                : CosError.WriteAsync(context, 400, "InvalidArgument", "The key is not valid: malformed percent-encoding, invalid UTF-8 or a control character.", rawPath);
        }

        measurement.Key = key;

        List<KeyValuePair<string, string>>? query = null;
        if (rawQuery is not null && !QueryParameters.TryParse(rawQuery, out query))
        {
            return CosError.WriteAsync(context, 400, "InvalidArgument", "The query string is not valid percent-encoded UTF-8.", rawPath);
        }

        var auth = CosAuthResult.Anonymous;
        if (query is not null || context.Request.Headers.Authorization.Count > 0 || context.Request.Headers.ContainsKey("x-cos-security-token"))
        {
            if (KeyDecoding.TryDecodePath(rawPath, out var decodedPath) != KeyStatus.Valid)
            {
                return CosError.WriteAsync(context, 400, "InvalidArgument", "The path is not valid percent-encoded UTF-8.", rawPath);
            }
            auth = S3Authenticator.Signs(context.Request.Headers, query)
                ? s3.Authenticate(context.Request.Method, decodedPath, bucket is not null && !pathStyle && buckets.NamesABucket(host) ? "/" + bucket.Name + rawPath : rawPath, query, context.Request.Headers)
                : authenticator.Authenticate(context.Request.Method, decodedPath, query, context.Request.Headers);
            if (auth.Failed)
            {
                return CosError.WriteAsync(context, auth.Status, auth.ErrorCode!, auth.Message!, rawPath, auth.Details);
            }
        }
        var bodyLength = context.Request.ContentLength;
        if (auth.Dialect == AuthDialect.S3)
        {
            S3Dialect.AnswerInS3(context.Response);
            if (auth.PresignedUrl)
            {
                S3Dialect.ReadPresignedParameters(query, context.Request.Headers);
            }
            // Every reader of the body (a PUT, a part, an XML document) reads it through its checks:
            // a body that fails one fails before its end, so nothing of it is kept.
            if (S3RequestBody.Prepare(context.Request, auth, out bodyLength) is var (status, code, message))
            {
                return CosError.WriteAsync(context, status, code, message, rawPath);
            }
            if (S3Dialect.ReadRequest(context.Request.Headers) is { } refusal)
            {
                return CosError.WriteAsync(context, 400, "InvalidArgument", refusal, rawPath);
            }
        }

        // An S3 tool asks GET / for its buckets (ListBuckets) wherever it points: on a host that names no bucket,
        // an S3-signed GET / lists them; COS-signed and anonymous ones keep the default bucket's listing.
        if (service || (auth.Dialect == AuthDialect.S3 && rawPath.Length == 1 && !pathStyle && HttpMethods.IsGet(context.Request.Method) && !buckets.NamesABucket(host)))
        {
            return ServiceHandler.HandleAsync(context, buckets, auth, query, rawPath);
        }
        // S3 tools address buckets path-style: the first segment is the bucket, never a key of the default bucket.
        if (auth.Dialect == AuthDialect.S3 && !pathStyle && !buckets.NamesABucket(host))
        {
            var bucketLevel = rawPath.IndexOf('/', 1) is var slash && (slash < 0 || slash == rawPath.Length - 1);
            return bucketLevel && HttpMethods.IsPut(context.Request.Method)
                ? CosError.WriteAsync(context, 403, "AccessDenied", "Buckets are configured (Buckets:N:Name), not created through the API.", rawPath)
                : CosError.WriteAsync(context, 404, "NoSuchBucket", "The specified bucket does not exist.", rawPath);
        }
        if (ExpectedBucketOwner.Refusal(context.Request.Headers, ExpectedBucketOwner.Header, bucket!) is { } notTheOwner)
        {
            return CosError.WriteAsync(context, 403, "AccessDenied", notTheOwner, rawPath);
        }
        var target = key.Length == 0 ? ResourceTarget.Bucket : ResourceTarget.Object;
        // Buckets here are unversioned: versionId=null (rclone and others send it after an upload) is the current
        // object of a GET, HEAD or DELETE — and of a PUT of its tags or ACL (PutObjectTagging, PutObjectAcl) — as in
        // S3; any other version does not exist. A plain PUT names no version: with one it stays refused.
        if (target == ResourceTarget.Object && QueryParameters.Get(query, "versionId") is { } versionId)
        {
            if (versionId != "null")
            {
                return CosError.WriteAsync(context, 404, "NoSuchVersion", "The specified version does not exist.", rawPath);
            }
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsDelete(context.Request.Method)
                || (HttpMethods.IsPut(context.Request.Method) && query!.Exists(p => p.Key is "tagging" or "acl")))
            {
                query!.RemoveAll(p => p.Key == "versionId");
            }
        }
        if (target == ResourceTarget.Object && UnkeptPromises.Refusal(context.Request) is var (unkeptStatus, unkeptCode, unkeptMessage))
        {
            return CosError.WriteAsync(context, unkeptStatus, unkeptCode, unkeptMessage, rawPath);
        }
        // A GET or HEAD of one part of an object (S3's part GET; the transfer managers of the SDKs download so).
        int? partNumber = null;
        if (target == ResourceTarget.Object && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            && QueryParameters.Get(query, "partNumber") is { } partText && QueryParameters.Get(query, "uploadId") is null)
        {
            if (!ObjectParts.TryParseNumber(partText, out var number))
            {
                return CosError.WriteAsync(context, 400, "InvalidArgument", $"Part number must be an integer between 1 and {ObjectParts.MaxNumber}, inclusive.", rawPath);
            }
            if (context.Request.Headers.Range.Count > 0)
            {
                return CosError.WriteAsync(context, 400, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter.", rawPath);
            }
            query!.RemoveAll(p => p.Key == "partNumber");
            partNumber = number;
        }
        var request = new DataRequest(context, bucket!, key, rawPath, rawQuery, query, auth) { BodyLength = bodyLength, PartNumber = partNumber };
        // Every sub-resource is answered for what it is, before any body is read or anything changes.
        var match = subresources.Match(query, target, context.Request.Method);
        if (!match.IsNone)
        {
            return match.Route is { } route
                ? Denied(request, route.Access) ?? route.HandleAsync(request)
                : Denied(request, BucketOperation.Configure) ?? request.ErrorAsync(match.Status, match.Code!, match.Message!);
        }
        return target == ResourceTarget.Bucket ? BucketRootAsync(request) : ObjectAsync(request);
    }

    private Task ObjectAsync(DataRequest request)
    {
        var method = request.Context.Request.Method;
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        var isWrite = HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
        if (!isRead && !isWrite)
        {
            return request.ErrorAsync(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
        }
        if (isRead)
        {
            var refusal = BucketAccess.Check(request.Auth, request.Bucket.Name, request.Bucket.PublicRead, request.Bucket.PublicList, BucketOperation.ReadObject);
            if (refusal is null && request.Auth.Credential is not null)
            {
                return ObjectReadHandler.HandleAsync(request, originPull);
            }
            // Not the owner: an explicit Deny of the bucket policy wins, then the bucket and the object's ACL decide.
            if (policies.DeniesAnyone(request.Bucket, HttpMethods.IsGet(method) ? "name/cos:GetObject" : "name/cos:HeadObject", request.Key))
            {
                return ObjectReadHandler.RefusedAsync(request, originPull, "Access denied by the bucket policy.");
            }
            return ObjectReadHandler.HandleAsync(request, originPull, access: ReadAccess.Anyone(refusal));
        }
        if (Denied(request, BucketOperation.Write) is { } denied)
        {
            return denied;
        }
        if (HttpMethods.IsPut(method))
        {
            return ObjectWriteHandler.CopySource(request.Context.Request) is { } source ? writes.CopyAsync(request, source) : writes.PutAsync(request);
        }
        return ObjectWriteHandler.DeleteAsync(request);
    }

    private Task BucketRootAsync(DataRequest request)
    {
        var method = request.Context.Request.Method;
        if (FormUploadHandler.IsFormUpload(request.Context.Request))
        {
            // A browser form upload signs its form, not its headers: the handler checks the signature, the policy and access.
            return request.Auth.IsAnonymous
                ? forms.HandleAsync(request)
                : request.ErrorAsync(400, "InvalidRequest", "A form upload is signed by its fields (policy and signature), not by an Authorization header or a presigned URL.");
        }
        if (HttpMethods.IsGet(method))
        {
            return Denied(request, BucketOperation.List) ?? BucketRootHandler.ListAsync(request);
        }
        if (HttpMethods.IsHead(method))
        {
            if (Denied(request, BucketOperation.HeadBucket) is { } denied)
            {
                return denied;
            }
            BucketRootHandler.Head(request);
            return Task.CompletedTask;
        }
        if (HttpMethods.IsPut(method))
        {
            // CreateBucket of a bucket that exists (rclone and s3cmd check a bucket so): the caller's own, or someone's.
            if (request.Auth.Credential is not { } credential)
            {
                return request.ErrorAsync(403, "AccessDenied", "Creating a bucket must be signed.");
            }
            return credential.MayUse(request.Bucket.Name)
                ? request.ErrorAsync(409, "BucketAlreadyOwnedByYou", "The bucket you tried to create already exists, and you own it.")
                : request.ErrorAsync(409, "BucketAlreadyExists", "The requested bucket name is not available.");
        }
        return request.ErrorAsync(405, "MethodNotAllowed", "The specified method is not allowed against the bucket.");
    }

    private static Task? Denied(DataRequest request, BucketOperation operation)
    {
        var bucket = request.Bucket;
        var message = BucketAccess.Check(request.Auth, bucket.Name, bucket.PublicRead, bucket.PublicList, operation);
        return message is null ? null : request.ErrorAsync(403, "AccessDenied", message);
    }

    /// <summary>Splits the raw target into path and query (null when there is no '?'). Accepts origin-form and absolute-form.</summary>
    internal static bool TrySplitTarget(string rawTarget, out string path, out string? query)
    {
        var target = rawTarget;
        if (!target.StartsWith('/'))
        {
            var scheme = target.IndexOf("://", StringComparison.Ordinal);
            var slash = scheme < 0 ? -1 : target.IndexOf('/', scheme + 3);
            if (slash < 0)
            {
                path = "";
                query = null;
                return false;
            }
            target = target[slash..];
        }
        var mark = target.IndexOf('?', StringComparison.Ordinal);
        if (mark < 0)
        {
            path = target;
            query = null;
        }
        else
        {
            path = target[..mark];
            query = target[(mark + 1)..];
        }
        return true;
    }

    private static ReadOnlySpan<char> HostWithoutPort(Microsoft.Extensions.Primitives.StringValues host)
    {
        if (host.Count != 1)
        {
            return [];
        }
        var value = host[0].AsSpan();
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']');
            return close < 0 ? value : value[..(close + 1)];
        }
        var colon = value.LastIndexOf(':');
        return colon < 0 ? value : value[..colon];
    }
}
