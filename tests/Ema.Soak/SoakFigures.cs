using System.Globalization;

namespace Ema.Soak;

/// <summary>
/// What a soak run measured: the memory samples taken along the run (each with the update count it was taken at), and
/// a summary, printed as key=value lines.
/// </summary>
internal sealed record SoakFigures(int Updates, double MicrosecondsPerUpdate, long FinalStep, long SkippedUpdates, bool EmaFinite, IReadOnlyList<(long Update, MemorySample Memory)> Samples)
{
    public IEnumerable<string> ToLines()
    {
        foreach ((long update, MemorySample memory) in Samples)
        {
            yield return "sample " + Line(("update", update), ("tensors", memory.Tensors), ("gc_heap", memory.GcHeap), ("native_heap", memory.NativeHeap), ("rss_anon", memory.AnonymousResident));
        }

        yield return Line(("updates", Updates), ("us_per_update", MicrosecondsPerUpdate), ("final_step", FinalStep), ("skipped", SkippedUpdates), ("ema_finite", EmaFinite), ("samples", Samples.Count));
    }

    private static string Line(params (string Key, object Value)[] pairs) =>
        string.Join(' ', pairs.Select(p => p.Key + "=" + Convert.ToString(p.Value, CultureInfo.InvariantCulture)));
}
