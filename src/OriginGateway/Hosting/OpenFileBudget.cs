using System.Runtime.InteropServices;

namespace OriginGateway.Hosting;

/// <summary>
/// What the process's open-file limit allows. Every client connection is a descriptor, and a request can hold two more
/// (an object or staging file, a connection to an origin or to the S3 store); the runtime itself keeps its assemblies
/// open and needs descriptors to survive an exception. A process out of descriptors does not fail one request: .NET
/// aborts it ("Out of memory."). So the client connections each endpoint accepts are capped to what the limit leaves
/// (Kestrel's <c>MaxConcurrentConnections</c>, unless <c>Kestrel:Limits:MaxConcurrentConnections</c> sets it): a flood of
/// connections beyond the cap is closed at accept, and the gateway keeps serving the connections it holds.
/// </summary>
internal static class OpenFileBudget
{
    /// <summary>Below this limit the gateway does not start: it needs about 250 descriptors before its first request.</summary>
    public const long Minimum = 512;

    /// <summary>Kept free for the runtime, assemblies loaded later, database, Redis and store connections.</summary>
    public const long Reserve = 512;

    /// <summary>Descriptors a data connection may hold (its socket, a file, an outgoing connection) plus a control one.</summary>
    public const long PerConnection = 4;

    /// <summary>A connection cap below this is logged as a warning: the limit is low for a gateway.</summary>
    public const int Comfortable = 1000;

    /// <summary>
    /// The open-file limit in force, after raising the soft limit to the hard one (the JIT runtime does that at start,
    /// a natively compiled gateway does not, so it is done here for both); null when unlimited or unknown (not Linux).
    /// </summary>
    public static long? RaiseToHardLimit()
    {
        if (!OperatingSystem.IsLinux() || GetResourceLimit(OpenFilesResource, out var limit) != 0)
        {
            return null;
        }
        if (limit.Current < limit.Maximum)
        {
            var raised = new ResourceLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            if (SetResourceLimit(OpenFilesResource, in raised) == 0)
            {
                limit = raised;
            }
        }
        return limit.Current >= long.MaxValue ? null : (long)limit.Current;
    }

    /// <summary>Descriptors open now; 0 when unknown.</summary>
    public static long OpenNow()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>RLIMIT_NOFILE on Linux.</summary>
    private const int OpenFilesResource = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetResourceLimit(int resource, out ResourceLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetResourceLimit(int resource, in ResourceLimit limit);

    /// <summary>The client connections per endpoint that <paramref name="limit"/> allows with <paramref name="open"/> descriptors in use.</summary>
    public static int ConnectionsFor(long limit, long open) =>
        (int)Math.Clamp((limit - open - Reserve) / PerConnection, 16, int.MaxValue);
}
