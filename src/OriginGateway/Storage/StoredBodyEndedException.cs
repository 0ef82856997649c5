namespace OriginGateway.Storage;

/// <summary>
/// A stored body that ended before its recorded length while it was being copied into a new object (cut short behind
/// the gateway's back): that copy commits nothing. Any other <see cref="IOException"/> of a copy — the store failing to
/// read, or to write (a full disk) — is the store's failure, not the source's.
/// </summary>
internal sealed class StoredBodyEndedException() : IOException("The stored body ended before its recorded length.");
