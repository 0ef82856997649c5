using System.Reflection;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>Where the gateway's build output and the repository are.</summary>
internal static class TestPaths
{
    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string GatewayDll => Path.GetFullPath(Path.Combine(Metadata("GatewayOutput"), "OriginGateway.dll"));

    public static string RepositoryRoot => Path.GetFullPath(Metadata("RepositoryRoot"));

    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }
}
