namespace OriginGateway.Storage;

/// <summary>
/// One bucket's objects. Readers never see a half-written object: a write becomes visible whole,
/// after it is complete and verified, or not at all.
/// </summary>
internal interface IObjectStore
{
    /// <summary>The committed entry for a key, from memory; null when the key is absent.</summary>
    ObjectEntry? Find(string key);

    /// <summary>
    /// Opens the entry's content for reading. Returns null when the object vanished since
    /// <see cref="Find"/> (replaced, deleted, or removed behind the gateway's back); the caller
    /// looks the key up again.
    /// </summary>
    ObjectReader? Open(ObjectEntry entry);

    /// <summary>Starts writing a new version of a key; nothing is visible until it is committed.</summary>
    ObjectWriteSession BeginWrite(string key);

    /// <summary>Streams a body into staging, verifies it, and commits it atomically.</summary>
    Task<ObjectWriteResult> PutAsync(string key, Stream body, ObjectWrite write, CancellationToken cancellationToken);

    /// <summary>Removes a key; true when it existed.</summary>
    bool Delete(string key);

    ListResult List(ListRequest request);

    /// <summary>Checks the store can be used (for readiness).</summary>
    bool IsHealthy(out string? problem);
}
