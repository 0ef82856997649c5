namespace OriginGateway.Rules;

/// <summary>
/// The outcome of reading an <c>OriginConfiguration</c> document: the configuration when it is
/// valid, otherwise every error; <see cref="Malformed"/> when the XML itself is broken.
/// </summary>
internal sealed record OriginConfigurationParseResult(OriginConfiguration? Configuration, IReadOnlyList<string> Errors, bool Malformed)
{
    public bool IsValid => Configuration is not null && Errors.Count == 0;

    /// <summary>The COS error code a client gets for this result.</summary>
    public string ErrorCode => Malformed ? "MalformedXML" : "InvalidArgument";

    public string Message => string.Join(" | ", Errors);
}
