using System.Runtime.InteropServices;

namespace OriginGateway.Storage;

/// <summary>
/// Names and moves of staging files. A commit is one <c>renameat2(RENAME_NOREPLACE)</c> where Linux has it —
/// <see cref="File.Move(string, string, bool)"/> adds three <c>lstat</c>s around its <c>rename</c> to emulate
/// Windows' rules, and on a cold 1 KiB miss every system call counts — and staging names come from a counter
/// under a per-process prefix instead of the random source.
/// </summary>
internal static class StagingFiles
{
    private static readonly string Prefix = Guid.NewGuid().ToString("N") + "-";
    private static long s_counter;

    // Cleared for the process when the platform or the file system has no renameat2 (musl without it, a network file system).
    private static volatile bool s_noReplaceRename = OperatingSystem.IsLinux();

    /// <summary>How every staging file's name ends.</summary>
    public const string Suffix = ".tmp";

    /// <summary>A name no other staging file of this process or of another has.</summary>
    public static string NewPath(string directory) =>
        Path.Combine(directory, string.Concat(Prefix, Interlocked.Increment(ref s_counter).ToString("x", System.Globalization.CultureInfo.InvariantCulture), Suffix));

    /// <summary>Moves <paramref name="source"/> to <paramref name="destination"/> atomically; an existing destination is an <see cref="IOException"/> and is left alone.</summary>
    public static void MoveNoReplace(string source, string destination)
    {
        if (s_noReplaceRename)
        {
            int errno;
            try
            {
                if (RenameAt2(AtCurrentDirectory, source, AtCurrentDirectory, destination, RenameNoReplace) == 0)
                {
                    return;
                }
                errno = Marshal.GetLastPInvokeError();
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                errno = ENOSYS;
            }
            if (errno is not (ENOSYS or EINVAL))
            {
                throw errno switch
                {
                    EEXIST => new IOException($"The file '{destination}' already exists.", errno),
                    ENOENT => new DirectoryNotFoundException($"Could not move '{source}' to '{destination}': {Marshal.GetPInvokeErrorMessage(errno)}."),
                    _ => new IOException($"Could not move '{source}' to '{destination}': {Marshal.GetPInvokeErrorMessage(errno)}.", errno),
                };
            }
            s_noReplaceRename = false;
        }
        File.Move(source, destination, overwrite: false);
    }

    private const int AtCurrentDirectory = -100;
    private const uint RenameNoReplace = 1;
    private const int ENOENT = 2;
    private const int EEXIST = 17;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int RenameAt2(int oldDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, int newDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath, uint flags);
}
