namespace OriginGateway.FrontDoor;

/// <summary>
/// What answers a read the bucket cannot: a key it does not hold (404), a read it refuses (403) or a
/// store that failed (500). Origin pull provides it (the bucket's origin rules); the front door asks it
/// before answering the error itself.
/// </summary>
internal interface IObjectMissHandler
{
    /// <summary>Answers the request and returns true, or returns false and leaves it to the caller.</summary>
    /// <param name="bucketStatus">The status the bucket alone would answer: 404, 403 or 500.</param>
    Task<bool> TryHandleAsync(DataRequest request, int bucketStatus);
}
