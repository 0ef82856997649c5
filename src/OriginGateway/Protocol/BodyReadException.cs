namespace OriginGateway.Protocol;

/// <summary>The body being stored could not be read: the client's request broke, not the store.</summary>
internal sealed class BodyReadException(Exception inner) : IOException("The request body could not be read: " + inner.Message, inner);
