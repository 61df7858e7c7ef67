using System.Runtime.CompilerServices;
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
            return (long)(info[7] + info[4]);
        }
        catch (EntryPointNotFoundException)
        {
            return null; // not glibc, or glibc older than 2.33
        }
    }

    /// <summary>glibc's <c>struct mallinfo2</c>: ten <c>size_t</c> fields, of which [4] is <c>hblkhd</c> (bytes in mmap'd blocks) and [7] <c>uordblks</c> (bytes in use in the heap).</summary>
    [InlineArray(10)]
    private struct MallInfo2
    {
        private nuint _field;
    }

    [DllImport("libc")]
    private static extern MallInfo2 mallinfo2();
}
