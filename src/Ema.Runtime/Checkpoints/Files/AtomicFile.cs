namespace Ema;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory (same file system,
/// so the rename cannot turn into a copy), is flushed to disk, and only then renamed over the target. A crash
/// or an exception at any point leaves the previous file as it was.
/// </summary>
internal static class AtomicFile
{
    private static readonly AsyncLocal<Action<string>?> BeforeRenameHook = new();

    /// <summary>
    /// Test hook, the one place faults are injected into writes: until the returned scope ends, every write made on
    /// this flow (a direct save, or a trainer's checkpoint callback) calls <paramref name="beforeRename"/> with the
    /// complete temporary file's path just before renaming it over the target; an exception it throws is a failed
    /// rename.
    /// </summary>
    internal static IDisposable InjectBeforeRename(Action<string> beforeRename)
    {
        ArgumentNullException.ThrowIfNull(beforeRename);
        Action<string>? previous = BeforeRenameHook.Value;
        BeforeRenameHook.Value = beforeRename;
        return new RestoreHook(previous);
    }

    /// <param name="path">The file to replace.</param>
    /// <param name="write">Writes the whole content.</param>
    public static void Write(string path, Action<Stream> write)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        string name = Path.GetFileName(fullPath);
        RemoveStaleTemporaries(directory, name);
        // The writer's process id in the name tells a later save whether this file is still being written.
        string temporary = Path.Combine(directory, $".{TemporaryStem(name)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            BeforeRenameHook.Value?.Invoke(temporary);
            File.Move(temporary, fullPath, overwrite: true);
            DirectorySync.Flush(directory);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Deletes the temporary files that killed saves of the same target left (<c>.name.PID.GUID.tmp</c> whose process
    /// is gone). A file whose writer is alive (this process, or another one saving to the same directory) is kept;
    /// so is one without a process id (from an older Ema, whose writer cannot be told).
    /// </summary>
    internal static void RemoveStaleTemporaries(string directory, string name)
    {
        string prefix = "." + TemporaryStem(name) + ".";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, prefix + "*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string candidate in candidates)
        {
            string[] parts = Path.GetFileName(candidate)[prefix.Length..].Split('.');
            if (parts is [string pid, string guid, "tmp"] && int.TryParse(pid, out int processId) && Guid.TryParseExact(guid, "N", out _)
                && !IsAlive(processId))
            {
                TryDelete(candidate);
            }
        }
    }

    /// <summary>File systems allow names of at most 255 bytes (NAME_MAX), not one more.</summary>
    internal const int MaxNameBytes = 255;

    /// <summary>What the temporary name adds around the target's name: ".", ".PID" (at most 10 digits), ".GUID" (32 hex), ".tmp".</summary>
    private const int TemporaryOverheadBytes = 1 + 1 + 10 + 1 + 32 + 4;

    /// <summary>
    /// The target's name as the temporary file's name holds it: whole when it fits, otherwise cut (at a character
    /// boundary, in UTF-8 bytes) so that the temporary name stays within <see cref="MaxNameBytes"/> whenever the
    /// target's own name does. Two long names with the same start share a stem; stale-file removal still deletes
    /// only files whose writer is gone, so sharing is harmless.
    /// </summary>
    internal static string TemporaryStem(string name)
    {
        const int MaxStemBytes = MaxNameBytes - TemporaryOverheadBytes;
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= MaxStemBytes)
        {
            return name;
        }

        int bytes = 0;
        var stem = new System.Text.StringBuilder();
        foreach (System.Text.Rune rune in name.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxStemBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            stem.Append(rune.ToString());
        }

        return stem.ToString();
    }

    private static bool IsAlive(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
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

    private sealed class RestoreHook(Action<string>? previous) : IDisposable
    {
        public void Dispose() => BeforeRenameHook.Value = previous;
    }
}
