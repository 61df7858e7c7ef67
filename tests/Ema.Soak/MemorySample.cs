using System.Globalization;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Ema.Soak;

/// <summary>
/// Live tensors and memory of this process: the GC heap, glibc's heap in use, and anonymous resident memory. Off
/// Linux the native heap is unknown (-1) and the resident memory is the whole working set.
/// </summary>
internal sealed record MemorySample(long Tensors, long GcHeap, long NativeHeap, long AnonymousResident)
{
    public const int Count = 3;
    public const int Spacing = 1_000;

    /// <summary>
    /// The smallest of <see cref="Count"/> samples taken <see cref="Spacing"/> updates apart: something transient (a
    /// background JIT compile) inflates one sample and not the smallest; a leak raises every sample. The tensor count
    /// is the last sample's: the judge compares it across the run.
    /// </summary>
    public static MemorySample Smallest(Action between)
    {
        var samples = new List<MemorySample>();
        for (int i = 0; i < Count; i++)
        {
            between();
            samples.Add(Take());
        }

        return new MemorySample(samples[^1].Tensors, samples.Min(s => s.GcHeap), samples.Min(s => s.NativeHeap), samples.Min(s => s.AnonymousResident));
    }

    /// <summary>
    /// Live memory, not what the allocators keep cached: finalizers run (they free native tensors), the GC decommits
    /// its free pages (aggressive mode) and glibc returns freed pages (malloc_trim).
    /// </summary>
    private static MemorySample Take()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long native = -1;
        if (OperatingSystem.IsLinux())
        {
            NativeMethods.malloc_trim(0);
            NativeMethods.MallInfo2 info = NativeMethods.mallinfo2();
            native = (long)(info.Uordblks + info.Hblkhd);
        }

        return new MemorySample(Tensor.TotalCount, GC.GetTotalMemory(forceFullCollection: true), native, AnonymousResidentBytes());
    }

    /// <summary>
    /// Resident memory without file-backed pages (RssAnon): libtorch's code is paged in and out as code paths run,
    /// megabytes of noise either way; a leak grows anonymous memory (malloc, the GC heap).
    /// </summary>
    private static long AnonymousResidentBytes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Environment.WorkingSet;
        }

        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static class NativeMethods
    {
        [StructLayout(LayoutKind.Sequential)]
        internal struct MallInfo2
        {
            public nuint Arena;
            public nuint Ordblks;
            public nuint Smblks;
            public nuint Hblks;
            public nuint Hblkhd;
            public nuint Usmblks;
            public nuint Fsmblks;
            public nuint Uordblks;
            public nuint Fordblks;
            public nuint Keepcost;
        }

        [DllImport("libc")]
        internal static extern MallInfo2 mallinfo2();

        [DllImport("libc")]
        internal static extern int malloc_trim(nuint pad);
    }
}
