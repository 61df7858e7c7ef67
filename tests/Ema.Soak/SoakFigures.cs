using System.Globalization;

namespace Ema.Soak;

/// <summary>What a soak run measured, printed as one line of key=value pairs.</summary>
internal sealed record SoakFigures(int Updates, double MicrosecondsPerUpdate, long FinalStep, long SkippedUpdates, bool EmaFinite, MemorySample Before, MemorySample After)
{
    public string ToLine() => string.Join(' ', new (string Key, object Value)[]
    {
        ("updates", Updates), ("us_per_update", MicrosecondsPerUpdate), ("final_step", FinalStep), ("skipped", SkippedUpdates),
        ("ema_finite", EmaFinite), ("tensors_before", Before.Tensors), ("tensors_after", After.Tensors),
        ("gc_heap_before", Before.GcHeap), ("gc_heap_after", After.GcHeap),
        ("native_heap_before", Before.NativeHeap), ("native_heap_after", After.NativeHeap),
        ("rss_anon_before", Before.AnonymousResident), ("rss_anon_after", After.AnonymousResident),
    }.Select(p => p.Key + "=" + Convert.ToString(p.Value, CultureInfo.InvariantCulture)));
}
