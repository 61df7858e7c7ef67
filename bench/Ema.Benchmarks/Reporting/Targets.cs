using Ema.Benchmarks.Measurement;

namespace Ema.Benchmarks.Reporting;

/// <summary>The issues' targets, checked against the median of one case's rounds.</summary>
internal static class Targets
{
    public static IEnumerable<(string Target, bool Met, string Measured)> Check(CaseSummary s)
    {
        Spread overFloor = s.Of(r => r.UpdateOverFloor);
        switch (s.Case)
        {
            case "a_resnet50_f32":
                yield return ("Update with the default non-finite check <= 1.35 x floor", overFloor.Median <= 1.35, overFloor.Format() + " x");
                break;
            case "a2_resnet50_f32_nocheck":
                yield return ("Update without the check <= 1.10 x floor", overFloor.Median <= 1.10, overFloor.Format() + " x");
                break;
            case "b_2000x512_f32":
                yield return ("Update <= 1.5 x floor", overFloor.Median <= 1.5, overFloor.Format() + " x");
                Spread lerp = s.Of(r => r.LerpLoopOverUpdate);
                yield return ("Update >= 5x faster than the per-tensor lerp loop", lerp.Median >= 5, lerp.Format() + " x");
                Spread swap = s.Of(r => r.SwapOverUpdate);
                yield return ("swap enter+exit no slower than one update", swap.Median <= 1, swap.Format() + " updates");
                break;
            case "c_resnet50_bf16_emaf32":
                // A full-size temporary would raise the peak resident memory by at least a model's worth of values.
                bool noTemp = s.Rounds.All(r => r.UpdatePeakRssGrowthBytes is { } g && g < r.ModelFloatingBytes / 2);
                yield return ("no full-size temporary per update (every round)", noTemp,
                    "peak RSS +" + string.Join("/", s.Rounds.Select(r => ((r.UpdatePeakRssGrowthBytes ?? -1) / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture))) + " MB");
                break;
        }

        if (s.Case.StartsWith('a'))
        {
            Spread swap = s.Of(r => r.SwapOverUpdate);
            yield return ("swap enter+exit <= 1% of one update", swap.Median <= 0.01, swap.Format("0.00", 100) + " %");
        }

        if (s.FloorNormalizedSpeedUp is { } normalized)
        {
            yield return ("floor-normalized: Update at least as close to its floor as PyTorch's best to its own", normalized.Median >= 1, normalized.Format() + " x");
        }

        // Beyond one copy: per group at most one staging chunk (1 MiB: ChunkedLerp's for another dtype, or
        // ChunkedExchange's for a swap by exchange, which is no larger than the group).
        long extra = s.Rounds.Max(r => r.EmaBytes - r.OneCopyBytes);
        int groups = s.Rounds[0].SwapChosen.Split('+').Length;
        yield return ("the EMA holds one copy of the state and at most one 1 MiB staging chunk per group more", extra <= groups * (1L << 20),
            $"{s.Rounds[0].EmaCopies:0.00} copies, {extra} bytes beyond one copy, {groups} groups");
        // Design goal, not an issue target: the default non-finite check allocates one 0-dim tensor per group.
        double created = s.Rounds.Max(r => r.UpdateAllocations.TensorsCreated);
        yield return ("no tensor allocated per update", created == 0, created.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
