using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>ckpt_best follows the watched (EMA) validation metric in the direction TrainerOptions.GreaterIsBetter sets.</summary>
public sealed class BestCheckpointTests
{
    // Scripted per epoch, so the best epoch is known. The watched (EMA) metric improves, then worsens: lower is
    // best at epoch 2, greater at epoch 4, and the last epoch is best in neither direction.
    private static readonly double[] Watched = [0.5, 0.3, 0.4, 0.6, 0.45];

    // The raw weights' metric is best at other epochs (3 lower, 2 greater): ckpt_best must not follow it.
    private static readonly double[] Raw = [0.7, 0.8, 0.1, 0.2, 0.75];

    private const int BatchesPerEpoch = 2;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ckpt_best_holds_the_best_epoch_of_the_watched_metric_and_ckpt_latest_the_last(bool greaterIsBetter)
    {
        int bestEpoch = BestEpoch(Watched, greaterIsBetter);
        Assert.NotEqual(BestEpoch(Raw, greaterIsBetter), bestEpoch);
        Assert.NotEqual(Watched.Length, bestEpoch);

        using var dir = new TempDir();
        manual_seed(25);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(BatchesPerEpoch, seed: 10);
        int epoch = 0;
        bool watchedPass = false;
        var raw = new Dictionary<int, Dictionary<string, float[]>>();
        var ema = new Dictionary<int, Dictionary<string, float[]>>();
        var listener = new RecordingListener
        {
            AtOptimizerStep = c => epoch = c.Epoch,
            AtValidationStart = _ => watchedPass = true,
            AtValidationEnd = _ => watchedPass = false,
            AtEpochEnd = (c, r) => (raw[r.Epoch], ema[r.Epoch]) = (Snapshot(c.Model), Snapshot(c.Ema!.EmaWeights)),
        };
        var trainingParams = new TrainingParams { MaxEpochs = Watched.Length, InitialLr = 0.1, Ema = true, EmaParams = new ConstantEmaParams(0.5) };
        var options = new TrainerOptions
        {
            CheckpointDirectory = dir.Path,
            GreaterIsBetter = greaterIsBetter,
            ValidationMetric = (_, _) => (watchedPass ? Watched : Raw)[epoch - 1],
            Listeners = [listener],
        };
        using var trainer = new Trainer(model, Mse, trainingParams, options: options);

        IReadOnlyList<EpochResult> results = trainer.Train(data, data);

        // The script reached the trainer as intended: each pass saw its own value.
        Assert.Equal(Raw, results.Select(r => r.RawMetric));
        Assert.Equal(Watched, results.Select(r => r.EmaMetric!.Value));

        CheckpointInfo best = Checkpoint.ReadInfo(dir.File(Checkpoint.BestFileName));
        Assert.Equal(bestEpoch, best.Epoch);
        Assert.Equal(bestEpoch * BatchesPerEpoch, best.GlobalStep);
        Assert.Equal(Watched[bestEpoch - 1], best.BestMetric);
        AssertSame(raw[bestEpoch], ReadPrefix(dir.File(Checkpoint.BestFileName), CheckpointKeys.NetPrefix));
        AssertSame(ema[bestEpoch], ReadPrefix(dir.File(Checkpoint.BestFileName), CheckpointKeys.EmaNetPrefix));

        CheckpointInfo latest = Checkpoint.ReadInfo(dir.File(Checkpoint.LatestFileName));
        Assert.Equal(Watched.Length, latest.Epoch);
        Assert.Equal(Watched[bestEpoch - 1], latest.BestMetric);
        AssertSame(raw[Watched.Length], ReadPrefix(dir.File(Checkpoint.LatestFileName), CheckpointKeys.NetPrefix));

        // Later epochs did change the weights, so the comparisons above tell the epochs apart.
        Assert.True(AnyDifferent(raw[bestEpoch], raw[Watched.Length]));
        Dispose(data);
    }

    /// <summary>The first epoch (from 1) with the best value: a tie is no improvement, as in the trainer.</summary>
    private static int BestEpoch(double[] metric, bool greaterIsBetter)
    {
        double target = greaterIsBetter ? metric.Max() : metric.Min();
        return Array.IndexOf(metric, target) + 1;
    }
}
