using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Soak;

/// <summary>
/// Updates with the model moving a little each step and a validation swap once per "epoch", as a trainer does, with
/// memory sampled at <see cref="Intervals"/> + 1 evenly spaced points of the run, so that the judge can tell growth
/// that goes on (a leak: every interval grows) from a one-time allocation (one interval grows).
/// </summary>
internal sealed class SoakRun(nn.Module model, ModelEma ema, long totalSteps, int leakEvery)
{
    /// <summary>Intervals between memory samples.</summary>
    public const int Intervals = 8;

    /// <summary>The warm-up and the updates made while sampling, beyond the run's own.</summary>
    public const int UpdatesOutsideTheRun = WarmUp + ((Intervals + 1) * MemorySample.Count * MemorySample.Spacing);

    private const int WarmUp = 10_000;
    private const int UpdatesPerEpoch = 1_000;
    private readonly Tensor _weight = model.state_dict()["linear.weight"];
    private readonly List<Tensor> _leaked = [];
    private long _step = 1;

    public SoakFigures Run(int updates)
    {
        // Warm-up: first calls and the native allocator's first pools. A one-time allocation later in the run is
        // fine too: the judge looks at the typical interval, not the first-to-last difference.
        Update(WarmUp);
        var samples = new List<(long Update, MemorySample Memory)>();
        var clock = new System.Diagnostics.Stopwatch();
        int done = 0;
        for (int i = 0; i <= Intervals; i++)
        {
            int target = (int)((long)updates * i / Intervals);
            clock.Start();
            Update(target - done);
            clock.Stop();
            done = target;
            MemorySample memory = MemorySample.Smallest(() => Update(MemorySample.Spacing));
            samples.Add((_step - 1, memory));
        }

        bool finite;
        using (Tensor isFinite = ema.EmaWeights["linear.weight"].isfinite())
        using (Tensor all = isFinite.all())
        {
            finite = all.item<bool>();
        }

        _leaked.ForEach(t => t.Dispose());
        return new SoakFigures(updates, clock.Elapsed.TotalMicroseconds / updates, ema.Step, ema.SkippedUpdates, finite, samples);
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

            if (leakEvery > 0 && _step % leakEvery == 0)
            {
                _leaked.Add(zeros(1));
            }
        }
    }
}
