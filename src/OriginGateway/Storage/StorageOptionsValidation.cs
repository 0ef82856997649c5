namespace OriginGateway.Storage;

/// <summary>Checks a bucket's storage settings (<c>Buckets:N:Storage</c>), for the buckets' validator.</summary>
internal static class StorageOptionsValidation
{
    public static void Check(StorageOptions storage, string prefix, List<string> problems)
    {
        if (!Configuration.SettingValues.IsOneOf<StorageKind>(storage.Kind))
        {
            problems.Add($"{prefix}:Kind '{storage.Kind}' is not one of FileSystem, S3.");
            return;
        }
        if (storage.StoreKind == StorageKind.FileSystem)
        {
            return;
        }
        if (!Uri.TryCreate(storage.ServiceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            problems.Add($"{prefix}:ServiceUrl '{storage.ServiceUrl}' must be an absolute http(s) URL of the S3 endpoint.");
        }
        if (string.IsNullOrEmpty(storage.BucketName))
        {
            problems.Add($"{prefix}:BucketName is required for S3 storage.");
        }
        if (string.IsNullOrEmpty(storage.AccessKey) || string.IsNullOrEmpty(storage.SecretKey))
        {
            problems.Add($"{prefix}:AccessKey and {prefix}:SecretKey are required for S3 storage.");
        }
        if (storage.Prefix.StartsWith(storage.UploadsPrefix, StringComparison.Ordinal) || storage.UploadsPrefix.StartsWith(storage.Prefix, StringComparison.Ordinal))
        {
            problems.Add($"{prefix}:Prefix '{storage.Prefix}' and {prefix}:UploadsPrefix '{storage.UploadsPrefix}' overlap: parts would be listed as objects.");
        }
        foreach (var (name, other) in new[] { ("Prefix", storage.Prefix), ("UploadsPrefix", storage.UploadsPrefix) })
        {
            if (storage.AttributesPrefix.Length == 0 || storage.AttributesPrefix.StartsWith(other, StringComparison.Ordinal) || other.StartsWith(storage.AttributesPrefix, StringComparison.Ordinal))
            {
                problems.Add($"{prefix}:AttributesPrefix '{storage.AttributesPrefix}' and {prefix}:{name} '{other}' overlap: attribute objects would be listed as objects or parts.");
            }
        }
        if (storage.PartSize is < 5L * 1024 * 1024 or > 5L * 1024 * 1024 * 1024)
        {
            problems.Add($"{prefix}:PartSize {storage.PartSize} must be from 5 MiB to 5 GiB (S3's part limits).");
        }
        if (storage.Timeout < TimeSpan.FromMilliseconds(100) || storage.Timeout > TimeSpan.FromMinutes(10))
        {
            problems.Add($"{prefix}:Timeout {storage.Timeout} must be from 100 ms to 10 minutes.");
        }
        if (storage.StaleUploadsAfter < TimeSpan.FromSeconds(1))
        {
            problems.Add($"{prefix}:StaleUploadsAfter {storage.StaleUploadsAfter} must be at least 1 second.");
        }
        if (storage.CacheTtl < TimeSpan.Zero)
        {
            problems.Add($"{prefix}:CacheTtl must not be negative.");
        }
    }
}
