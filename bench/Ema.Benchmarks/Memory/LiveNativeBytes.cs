using System.Runtime.InteropServices;

namespace Ema.Benchmarks.Memory;

/// <summary>
/// Bytes the native heap holds live right now (glibc's <c>mallinfo2</c>: small blocks in use plus mmap'd blocks),
/// after the .NET finalizers have freed dropped tensors. Unlike the resident set it falls when a tensor is freed,
/// so "what is left after X" can be read. Null off glibc.
/// </summary>
internal static class LiveNativeBytes
{
    public static long? Now()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            MallInfo2 info = mallinfo2();
            return (long)(info.Uordblks + info.Hblkhd);
        }
        catch (EntryPointNotFoundException)
        {
            return null; // not glibc, or glibc older than 2.33
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
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
    private static extern MallInfo2 mallinfo2();
}
