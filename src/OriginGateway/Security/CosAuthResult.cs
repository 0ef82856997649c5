namespace OriginGateway.Security;

/// <summary>Which signature a request carried: COS's (or none), or AWS's (the S3 dialect).</summary>
internal enum AuthDialect
{
    Cos,
    S3,
}

/// <summary>
/// Who a request is (a credential, or anonymous), or why its signature was refused. <see cref="Dialect"/>
/// says which signature it carried, so its answers take that API's shape; an S3 refusal may carry
/// <see cref="Details"/> (S3's <c>StringToSign</c>, <c>CanonicalRequest</c>, … — never a secret).
/// </summary>
/// <summary>An S3 streaming upload's signing: <see cref="Signing"/> null when the chunks are unsigned; <see cref="Trailer"/> when trailing headers follow the final chunk.</summary>
internal sealed record StreamingPayload(ChunkSigning? Signing, bool Trailer);

internal readonly record struct CosAuthResult(Credential? Credential, int Status, string? ErrorCode, string? Message)
{
    public static readonly CosAuthResult Anonymous = new(null, 0, null, null);

    public bool Failed => ErrorCode is not null;

    public bool IsAnonymous => Credential is null && ErrorCode is null;

    public AuthDialect Dialect { get; init; }

    /// <summary>More elements of the error document (S3's SignatureDoesNotMatch).</summary>
    public IReadOnlyList<(string Name, string Value)>? Details { get; init; }

    /// <summary>The SHA-256 the body must have (an S3 signature over a hex payload hash), or null.</summary>
    public string? PayloadSha256 { get; init; }

    /// <summary>Whether the signature came in an S3 presigned URL, whose <c>x-amz-*</c> parameters stand for headers.</summary>
    public bool PresignedUrl { get; init; }

    /// <summary>For an S3 streaming upload (<c>STREAMING-*</c>): how its chunks are signed and whether trailers follow; else null.</summary>
    public StreamingPayload? Streaming { get; init; }

    public static CosAuthResult Fail(int status, string code, string message) => new(null, status, code, message);
}
