using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Soak;

/// <summary>
/// Updates with the model moving a little each step and a validation swap once per "epoch", as a trainer does,
/// measured before and after the run once first-call costs have settled.
/// </summary>
internal sealed class SoakRun(nn.Module model, ModelEma ema, long totalSteps)
{
    /// <summary>The warm-up and measurement updates, outside the measured run.</summary>
    public const int UpdatesOutsideTheRun = (2 * WarmUp) + (2 * MemorySample.Count * MemorySample.Spacing);

    private const int WarmUp = 10_000;
    private const int UpdatesPerEpoch = 1_000;
    private readonly Tensor _weight = model.state_dict()["linear.weight"];
    private long _step = 1;

    public SoakFigures Run(int updates)
    {
        // Warm-up: the runtime recompiles hot methods in the background (tiered JIT) a moment after they get hot,
        // and the native allocator grows its pools: give both time to settle before the first measurement.
        Update(WarmUp);
        Thread.Sleep(500);
        Update(WarmUp);
        MemorySample before = MemorySample.Smallest(() => Update(MemorySample.Spacing));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Update(updates);
        clock.Stop();
        MemorySample after = MemorySample.Smallest(() => Update(MemorySample.Spacing));
        bool finite;
        using (Tensor isFinite = ema.EmaWeights["linear.weight"].isfinite())
        using (Tensor all = isFinite.all())
        {
            finite = all.item<bool>();
        }

        return new SoakFigures(updates, clock.Elapsed.TotalMicroseconds / updates, ema.Step, ema.SkippedUpdates, finite, before, after);
    }

    private void Update(int count)
    {
        using Scalar nudge = 1e-6f.ToScalar();
        for (int i = 0; i < count; i++, _step++)
        {
            using (no_grad())
            {
                _weight.add_(nudge); // in place: returns the weight itself, never dispose it
            }

            ema.Update(_step, totalSteps);
            if (_step % UpdatesPerEpoch == 0)
            {
                using (ema.UseEmaWeights())
                {
                }
            }
        }
    }
}
