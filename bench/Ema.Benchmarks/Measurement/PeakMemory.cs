namespace Ema.Benchmarks.Measurement;

/// <summary>
/// Peak resident memory of this process (Linux). A full-size temporary allocated and touched during an update
/// raises the peak by its size even when it is freed right after, which Tensor counts cannot see (libtorch's
/// internal temporaries are never TorchSharp tensors).
/// </summary>
internal static class PeakMemory
{
    /// <summary>Bytes by which the peak resident set grew over <paramref name="run"/>, or null where it cannot be read.</summary>
    public static long? GrowthDuring(Action run)
    {
        try
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            File.WriteAllText("/proc/self/clear_refs", "5"); // "5" resets the peak (VmHWM) to the current RSS
            long before = ReadKb("VmHWM:");
            run();
            return (ReadKb("VmHWM:") - before) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long ReadKb(string key)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
