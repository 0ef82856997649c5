using System.Reflection;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>Where the gateway's build output and the repository are.</summary>
internal static class TestPaths
{
    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string GatewayDll => Path.GetFullPath(Path.Combine(Metadata("GatewayOutput"), "OriginGateway.dll"));

    /// <summary>
    /// The natively compiled gateway the suite runs instead of <see cref="GatewayDll"/> when
    /// <c>ORIGIN_GATEWAY_NATIVE</c> names it (the test command's second pass, see <c>test.sh</c>); null otherwise.
    /// A name that is no file fails every gateway test instead of quietly testing the other build.
    /// </summary>
    public static string? NativeGateway
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("ORIGIN_GATEWAY_NATIVE");
            if (string.IsNullOrEmpty(path))
            {
                return null;
            }
            path = Path.GetFullPath(path);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"ORIGIN_GATEWAY_NATIVE={path} does not exist; publish it with `dotnet publish src/OriginGateway -c Release -r linux-x64 -p:PublishAot=true -o <dir>`.");
            }
            return path;
        }
    }

    /// <summary>
    /// The staging files (unfinished writes, <c>*.tmp</c>) under a bucket's directory on disk: they live beside the
    /// object files they become, in <c>objects/ab/</c>; a directory that does not exist has none.
    /// </summary>
    public static string[] StagingFiles(string bucketDirectory) =>
        Directory.Exists(bucketDirectory) ? [.. Directory.EnumerateFiles(bucketDirectory, "*.tmp", SearchOption.AllDirectories)] : [];

    /// <summary><see cref="StagingFiles(string)"/> of a bucket in a gateway's data directory.</summary>
    public static string[] StagingFiles(string dataDirectory, string bucket) => StagingFiles(Path.Combine(dataDirectory, "buckets", bucket));

    public static string RepositoryRoot => Path.GetFullPath(Metadata("RepositoryRoot"));

    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }
}
