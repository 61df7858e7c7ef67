using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// The trainer's EMA against a trajectory computed here by hand. Only the exp schedule reads totalSteps, so it is
/// the one that shows whether the trainer passes totalSteps = batches per epoch x max_epochs.
/// </summary>
public sealed class TotalStepsTests
{
    private const double Decay = 0.9;

    // Small, so that step / totalSteps matters: with the default 15 the decay is at its maximum after a few steps
    // whatever totalSteps is, and a wrong total would hardly show.
    private const double Beta = 2;

    // float32 lerp against the same lerp in double, over six steps of weights of order 1.
    private const double Tolerance = 1e-5;

    [Fact]
    public void The_exp_schedule_runs_over_batches_per_epoch_times_max_epochs()
    {
        const int batchesPerEpoch = 3, maxEpochs = 2;
        manual_seed(16);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(batchesPerEpoch, seed: 8);
        Dictionary<string, float[]> initial = ModuleValues.Snapshot(model);
        var raw = new List<Dictionary<string, float[]>>();
        var ema = new List<Dictionary<string, float[]>>();
        var decays = new List<double>();
        long? totalSteps = null;
        var listener = new RecordingListener
        {
            AtOptimizerStep = c =>
            {
                totalSteps = c.TotalSteps;
                raw.Add(ModuleValues.Snapshot(c.Model)); // the EmaCallback ran first: these are the weights it averaged
                ema.Add(Floating(c.Ema!.EmaWeights));
                decays.Add(c.Ema.LastDecay);
            },
        };
        var trainingParams = new TrainingParams { MaxEpochs = maxEpochs, InitialLr = 0.1, Ema = true, EmaParams = new ExpEmaParams(Decay, Beta) };
        using var trainer = new Trainer(model, Mse, trainingParams, options: new TrainerOptions { Listeners = [listener] });

        trainer.Train(data, data);

        long total = batchesPerEpoch * maxEpochs;
        Assert.Equal(total, totalSteps);
        Assert.Equal(total, raw.Count);
        List<Dictionary<string, double[]>> expected = Trajectory(initial, raw, total);
        for (int i = 0; i < raw.Count; i++)
        {
            Assert.Equal(ExpDecay(i + 1, total), decays[i], 12);
            AssertClose(expected[i], ema[i], $"step {i + 1}");
        }

        AssertClose(expected[^1], ModuleValues.Snapshot(model), "the model at the end");

        // The comparison can fail: the trajectory over batches per epoch alone (a plausible slip) is far outside
        // the tolerance from the same raw weights.
        List<Dictionary<string, double[]>> wrong = Trajectory(initial, raw, batchesPerEpoch);
        Assert.True(MaxDifference(wrong[^1], ema[^1]) > 100 * Tolerance);
        Dispose(data);
    }

    /// <summary>The schedule of docs/design.md: decay * (1 - exp(-(step / totalSteps) * beta)).</summary>
    private static double ExpDecay(long step, long totalSteps) => Decay * (1 - Math.Exp(-((double)step / totalSteps) * Beta));

    /// <summary>The EMA after each step: starts at the initial weights, then lerp(ema, raw, 1 - decay) for step = 1, 2, ...</summary>
    private static List<Dictionary<string, double[]>> Trajectory(Dictionary<string, float[]> initial, List<Dictionary<string, float[]>> raw, long totalSteps)
    {
        Dictionary<string, double[]> current = initial.ToDictionary(p => p.Key, p => p.Value.Select(v => (double)v).ToArray());
        var trajectory = new List<Dictionary<string, double[]>>();
        for (int i = 0; i < raw.Count; i++)
        {
            double weight = 1 - ExpDecay(i + 1, totalSteps);
            current = current.ToDictionary(p => p.Key, p => p.Value.Select((e, j) => e + (weight * (raw[i][p.Key][j] - e))).ToArray());
            trajectory.Add(current);
        }

        return trajectory;
    }

    /// <summary>The floating-point tensors only: integer buffers (num_batches_tracked) are copied, not averaged.</summary>
    private static Dictionary<string, float[]> Floating(IReadOnlyDictionary<string, Tensor> weights) =>
        Snapshot(weights.Where(p => p.Value.is_floating_point()));

    private static double MaxDifference(Dictionary<string, double[]> expected, Dictionary<string, float[]> actual) =>
        expected.Max(p => p.Value.Select((e, j) => Math.Abs(e - actual[p.Key][j])).Max());

    private static void AssertClose(Dictionary<string, double[]> expected, Dictionary<string, float[]> actual, string where)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double difference = MaxDifference(expected, actual);
        Assert.True(difference <= Tolerance, $"{where}: the EMA is {difference:R} from the hand-computed trajectory (tolerance {Tolerance})");
    }
}
