namespace Ema;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory (same file system,
/// so the rename cannot turn into a copy), is flushed to disk, and only then renamed over the target. A crash
/// or an exception at any point leaves the previous file as it was.
/// </summary>
internal static class AtomicFile
{
    /// <param name="path">The file to replace.</param>
    /// <param name="write">Writes the whole content.</param>
    /// <param name="beforeRename">Test hook: runs after the temporary file is complete and before the rename.</param>
    public static void Write(string path, Action<Stream> write, Action<string>? beforeRename = null)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            beforeRename?.Invoke(temporary);
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more; a stray temporary file is harmless and clearly named.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
