using System.Runtime.InteropServices;

namespace Ema;

/// <summary>
/// Flushes a directory's entries to disk (fsync on the directory, as SQLite and PostgreSQL do after a rename), so a
/// renamed checkpoint keeps its new name across a power loss. .NET has no API for it: on Linux and macOS it is
/// open(2) + fsync(2) + close(2) from libc; elsewhere (Windows commits the rename with the file) it does nothing.
/// </summary>
internal static class DirectorySync
{
    public static void Flush(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            return;
        }

        int fd = Open(directory, 0); // O_RDONLY: enough to fsync a directory
        if (fd < 0)
        {
            return; // the file itself is flushed; a directory we cannot open is no reason to fail the save
        }

        try
        {
            _ = FSync(fd); // some file systems refuse fsync on directories (EINVAL); the rename has happened either way
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the latter needs unsafe code enabled for the whole library.
    [DllImport("libc", EntryPoint = "open", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
