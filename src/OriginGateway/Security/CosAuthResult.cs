namespace OriginGateway.Security;

/// <summary>How a request's COS signature checked out. Failures carry the COS error to answer.</summary>
internal readonly record struct CosAuthResult(Credential? Credential, int Status, string? ErrorCode, string? Message)
{
    public static readonly CosAuthResult Anonymous = new(null, 0, null, null);

    public bool Failed => ErrorCode is not null;

    public bool IsAnonymous => Credential is null && ErrorCode is null;

    public static CosAuthResult Fail(int status, string code, string message) => new(null, status, code, message);
}
