namespace OriginGateway.FrontDoor;

/// <summary>
/// Buckets here are unversioned: every object's one version is <c>null</c>, as S3 names the version of an object
/// stored while versioning was never enabled. A request naming another version names one that does not exist — never
/// the current object in its place.
/// </summary>
internal static class UnversionedObjects
{
    /// <summary>Why a version other than <c>null</c> is not found.</summary>
    public const string OnlyNull = "the bucket is unversioned, its only version id is null.";

    /// <summary>Whether a version named in a listing marker, a delete entry or a copy source is another than the object's own (absent or empty: none named).</summary>
    public static bool NamesAnotherVersion(string? versionId) => versionId is not (null or "" or "null");
}
