using System.Globalization;

namespace Ema.Runtime.Tests;

/// <summary>
/// Judges a soak series: a leak grows memory in every interval between samples, a one-time allocation (a lazy pool,
/// a library's first use of a code path) in one. So each measure is judged by its median growth per update over the
/// intervals, which a leak raises and a few one-time steps do not, whenever in the run they happen.
/// </summary>
public static class SoakVerdict
{
    /// <summary>
    /// glibc's heap in use, bytes per update. Measured: a clean run's intervals move by +-0.01 B/update; one 1-element
    /// tensor kept alive every 1,000 updates adds 0.42 B/update (tensor, storage and TorchSharp's handle).
    /// </summary>
    public const double NativeHeapBytesPerUpdate = 0.1;

    /// <summary>
    /// The GC heap, bytes per update: a leak of one object per update adds 24 bytes or more; a clean run's intervals
    /// move by a few KB of the runtime's own bookkeeping either way (under 0.3 B/update over 15,000 updates).
    /// </summary>
    public const double GcHeapBytesPerUpdate = 1;

    /// <summary>
    /// Anonymous resident memory: growth at the median rate for the whole run stays under 1% of the first sample.
    /// Resident memory moves in pages and by what the allocators keep cached, so it is the coarse bound: the native
    /// heap's catches the small leaks, this one what lives outside malloc and the GC heap.
    /// </summary>
    public const double ResidentGrowthOverTheRun = 0.01;

    /// <summary>Why the series shows a leak; empty when it does not.</summary>
    public static IReadOnlyList<string> Failures(IReadOnlyList<SoakSample> samples)
    {
        if (samples.Count < 5)
        {
            throw new ArgumentException($"A soak series needs at least 5 samples to tell a leak from a one-time allocation; it has {samples.Count}.", nameof(samples));
        }

        var failures = new List<string>();
        if (samples.Any(s => s.Tensors != samples[0].Tensors))
        {
            failures.Add("live tensor count moved: " + string.Join(", ", samples.Select(s => s.Tensors)));
        }

        long run = samples[^1].Update - samples[0].Update;
        double native = MedianRate(samples, s => s.NativeHeap);
        if (samples[0].NativeHeap >= 0 && native > NativeHeapBytesPerUpdate) // -1: not measured off Linux (glibc's mallinfo2)
        {
            failures.Add(Invariant($"native heap in use grows {native:F3} B/update (median over the intervals; bound {NativeHeapBytesPerUpdate})"));
        }

        double gc = MedianRate(samples, s => s.GcHeap);
        if (gc > GcHeapBytesPerUpdate)
        {
            failures.Add(Invariant($"GC heap grows {gc:F3} B/update (median over the intervals; bound {GcHeapBytesPerUpdate})"));
        }

        double resident = MedianRate(samples, s => s.AnonymousResident) * run / samples[0].AnonymousResident;
        if (resident > ResidentGrowthOverTheRun)
        {
            failures.Add(Invariant($"anonymous resident memory grows {resident:P2} over the run at its median rate (bound {ResidentGrowthOverTheRun:P0})"));
        }

        return failures;
    }

    /// <summary>The median over consecutive samples of the measure's growth per update.</summary>
    public static double MedianRate(IReadOnlyList<SoakSample> samples, Func<SoakSample, long> measure)
    {
        double[] rates = samples.Zip(samples.Skip(1), (a, b) => (double)(measure(b) - measure(a)) / (b.Update - a.Update)).Order().ToArray();
        int middle = rates.Length / 2;
        return rates.Length % 2 == 1 ? rates[middle] : (rates[middle - 1] + rates[middle]) / 2;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
